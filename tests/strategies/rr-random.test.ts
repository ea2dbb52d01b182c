import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rr } from '../../strategies/rr.ts';
import { random } from '../../strategies/random.ts';
import { backends, counts, ctxAt, picks, scripted, seeded } from './helpers.ts';

test('rr cycles through the non-drained backends, ignoring weights', () => {
  assert.equal(picks(rr.build(backends([5, 0, 1]), undefined, seeded(1)), 5), 'a c a c a');
  assert.equal(picks(rr.build(backends([0]), undefined, seeded(1)), 2), '- -');
});

test('rr keeps its position across an update', () => {
  let p = rr.build(backends([1, 1, 1]), undefined, seeded(1));
  assert.equal(picks(p, 2), 'a b');
  p = rr.build(backends([1, 1, 1]), p, seeded(1));
  assert.equal(picks(p, 2), 'c a');
});

test('random follows scripted randomness through the alias table', () => {
  // Weights 1:1 → columns a and b with probability 1 each: x*2 picks the column.
  const p = random.build(backends([1, 1]), undefined, scripted([0.1, 0.6, 0.4, 0.99]));
  assert.equal(picks(p, 4), 'a b a b');
});

test('random: weight 0 is never picked, and the split follows weights within 2 %', () => {
  const p = random.build(backends([3, 0, 1]), undefined, seeded(42));
  const n = 100_000;
  const seq = picks(p, n).split(' ');
  assert.equal(seq.filter((x) => x === 'b').length, 0);
  const share = seq.filter((x) => x === 'a').length / n;
  assert.ok(Math.abs(share - 0.75) < 0.02, `a share ${share}`);
});

test('random with nothing usable picks nothing', () => {
  assert.equal(picks(random.build(backends([0, 0]), undefined, seeded(1)), 2), '- -');
});

test('rr rotates among the usable backends while one is down, and takes it back when its mark ends', () => {
  const bs = backends([1, 1, 1]);
  const p = rr.build(bs, undefined, seeded(1));
  bs[1]!.state.downUntil = 100;
  assert.equal(picks(p, 4, ctxAt(0)), 'a c a c');
  assert.equal(picks(p, 3, ctxAt(100)), 'a b c');
});

test('random: a down backend is redrawn, the others keep their proportions within 2 %', () => {
  const bs = backends([3, 1, 1]);
  const p = random.build(bs, undefined, seeded(9));
  bs[0]!.state.downUntil = 1;
  const c = counts(p, 50_000, ctxAt(0));
  assert.equal(c.get('a'), undefined);
  assert.ok(Math.abs(c.get('b')! / 50_000 - 0.5) < 0.02, `b share ${c.get('b')}`);
});

test('random: most of the weight unusable still finds the usable one (exact O(n) draw after the redraws)', () => {
  const bs = backends([1000, 1000, 1]);
  const p = random.build(bs, undefined, scripted([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]));
  assert.equal(p.pick(ctxAt(0, [bs[0]!, bs[1]!]))?.address, 'c');
});
