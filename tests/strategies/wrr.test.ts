import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SCHEDULE, WrrPicker, wrr } from '../../strategies/wrr.ts';
import type { Picker } from '../../strategies/strategy.ts';
import { CTX, backend, backends, picks, seeded } from './helpers.ts';

const deps = seeded(1);

test('5:1:1 gives the smooth sequence a a b a c a a, repeating', () => {
  const p = wrr.build(backends([5, 1, 1]), undefined, deps);
  assert.equal(picks(p, 14), 'a a b a c a a a a b a c a a');
});

test('3:2:1 and 1:1:1 sequences', () => {
  assert.equal(picks(wrr.build(backends([3, 2, 1]), undefined, deps), 6), 'a b a c b a');
  assert.equal(picks(wrr.build(backends([1, 1, 1]), undefined, deps), 6), 'a b c a b c');
});

test('any window of sum(weights) picks holds each backend exactly its weight', () => {
  for (const weights of [[5, 1, 1], [3, 2, 1], [7, 3], [10, 20, 30, 1], [2, 0, 3], [100, 1]]) {
    const p = wrr.build(backends(weights), undefined, deps);
    const total = weights.reduce((a, b) => a + b, 0);
    const seq = picks(p, total * 4).split(' ');
    for (let start = 0; start + total <= seq.length; start++) {
      const window = seq.slice(start, start + total);
      weights.forEach((w, i) => assert.equal(window.filter((x) => x === 'abcdefg'[i]).length, w, `${weights} window ${start}`));
    }
  }
});

test('weights with a common divisor interleave like their reduced form', () => {
  assert.equal(picks(wrr.build(backends([300, 200, 100]), undefined, deps), 6), 'a b a c b a');
});

test('weight 0 drains: the backend is never picked; all zero picks nothing', () => {
  assert.doesNotMatch(picks(wrr.build(backends([1, 0, 1]), undefined, deps), 20), /b/);
  assert.equal(picks(wrr.build(backends([0, 0]), undefined, deps), 3), '- - -');
  assert.equal(picks(wrr.build([], undefined, deps), 2), '- -');
});

test('an update with the same weights keeps the rotation exactly', () => {
  let p: Picker = wrr.build(backends([5, 1, 1]), undefined, deps);
  let seq = '';
  // An optimiser rewriting the same value after every request must not restart the rotation.
  for (let i = 0; i < 14; i++) {
    seq += (i ? ' ' : '') + p.pick(CTX)!.address;
    p = wrr.build(backends([5, 1, 1]), p, deps);
  }
  assert.equal(seq, 'a a b a c a a a a b a c a a');
});

test('an update with new weights continues at the same point of the period instead of restarting', () => {
  let p: Picker = wrr.build(backends([1, 1]), undefined, deps);
  // Updates after every pick with alternating weights would starve b if each update restarted at a.
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    seen.push(p.pick(CTX)!.address);
    p = wrr.build(backends(i % 2 === 0 ? [1, 1] : [2, 2]), p, deps);
  }
  assert.equal(seen.filter((x) => x === 'b').length, 20);
  assert.ok(p instanceof WrrPicker);
});

test('after a weight change every window of the new period is exact', () => {
  let p: Picker = wrr.build(backends([5, 1, 1]), undefined, deps);
  picks(p, 3);
  p = wrr.build(backends([1, 2, 3]), p, deps);
  const seq = picks(p, 24).split(' ');
  for (let start = 0; start + 6 <= seq.length; start++) {
    const w = seq.slice(start, start + 6);
    assert.deepEqual(['a', 'b', 'c'].map((x) => w.filter((y) => y === x).length), [1, 2, 3]);
  }
});

test('a period longer than the stored schedule still follows the weights exactly', () => {
  const weights = [MAX_SCHEDULE, 3];
  const p = wrr.build(backends(weights), undefined, deps);
  const seq = picks(p, MAX_SCHEDULE + 3).split(' ');
  assert.equal(seq.filter((x) => x === 'b').length, 3);
});

test('1,000 backends: exact counts over one period', () => {
  const weights = Array.from({ length: 1000 }, (_, i) => 1 + (i % 7));
  const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
  const p: Picker = wrr.build(weights.map((w, i) => backend(names[i]!, w, 'h', 1)), undefined, deps);
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const a = p.pick(CTX)!.address;
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  names.forEach((n, i) => assert.equal(counts.get(n), weights[i]));
});

test('10,000 backends with a long period build within the budget and still follow the weights', () => {
  const weights = Array.from({ length: 10_000 }, (_, i) => 1 + (i % 13));
  const bs = weights.map((w, i) => backend(`n${i}`, w, 'h', 1));
  let p: Picker = wrr.build(bs, undefined, deps);
  // Heavy updates are bounded work each (BUILD_BUDGET), so many in a row stay cheap.
  for (let i = 0; i < 5; i++) p = wrr.build(bs.map((b) => ({ ...b, weight: b.weight + (i % 2) })), p, deps);
  const counts = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const a = p.pick(CTX)!.address;
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  // The heaviest backends (weight 13+1) are picked more than the lightest (1+1).
  assert.ok((counts.get('n12') ?? 0) > (counts.get('n0') ?? 0));
});
