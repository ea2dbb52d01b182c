import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p2c } from '../../strategies/p2c.ts';
import { requestStarted } from '../../strategies/backend-state.ts';
import type { Backend } from '../../strategies/strategy.ts';
import { CTX, backends, counts, ctxAt, scripted, seeded } from './helpers.ts';

// Equal weights: the first candidate is column floor(r·n); the second index floor(r·(n−1)), a → the last.

test('of two candidates the one with fewer requests in flight wins', () => {
  const bs = backends([1, 1, 1]);
  bs[0]!.state.inFlight = 3;
  const p = p2c.build(bs, undefined, scripted([0.1, 0.6])); // a, then b
  assert.equal(p.pick(CTX)?.address, 'b');
});

test('ties go to the first candidate drawn', () => {
  const p = p2c.build(backends([1, 1, 1]), undefined, scripted([0.5, 0.1])); // b, then a
  assert.equal(p.pick(CTX)?.address, 'b');
});

test('the second candidate is never the first: a drawn index equal to it means the last backend', () => {
  const bs = backends([1, 1, 1]);
  bs[0]!.state.inFlight = 1;
  bs[1]!.state.inFlight = 1;
  const p = p2c.build(bs, undefined, scripted([0.1, 0.2])); // a, index 0 = a → c
  assert.equal(p.pick(CTX)?.address, 'c');
});

test('load is in flight per unit of weight: 2 of weight 4 beats 1 of weight 1, 5 of weight 4 does not', () => {
  const bs = backends([4, 1]);
  bs[0]!.state.inFlight = 2;
  bs[1]!.state.inFlight = 1;
  assert.equal(p2c.build(bs, undefined, scripted([0.1, 0.5])).pick(CTX)?.address, 'a');
  bs[0]!.state.inFlight = 5;
  assert.equal(p2c.build(bs, undefined, scripted([0.1, 0.5])).pick(CTX)?.address, 'b');
});

test('one usable backend is returned however loaded', () => {
  const bs = backends([1, 1]);
  bs[0]!.state.inFlight = 100;
  bs[1]!.state.downUntil = 50;
  assert.equal(counts(p2c.build(bs, undefined, seeded(3)), 20, ctxAt(0)).get('a'), 20);
});

test('idle (nothing in flight) the split follows the weights within 2 %', () => {
  const c = counts(p2c.build(backends([1, 3]), undefined, seeded(11)), 40_000);
  assert.ok(Math.abs(c.get('a')! / 40_000 - 0.25) < 0.02, `a share ${c.get('a')}`);
});

test('under load the requests in flight stay balanced (never ending requests, 10 backends)', () => {
  const bs = backends([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const p = p2c.build(bs, undefined, seeded(5));
  for (let i = 0; i < 1000; i++) requestStarted(p.pick(CTX)!.state);
  const loads = bs.map((b) => b.state.inFlight);
  // Random choice leaves a spread of tens here; two choices keep it to a few.
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 4, `loads ${loads}`);
});

test('in-flight counts survive a weights update (they live in the shared state)', () => {
  const bs = backends([1, 1]);
  let p = p2c.build(bs, undefined, scripted([0.1, 0.5]));
  requestStarted(bs[0]!.state);
  const next: Backend[] = bs.map((b) => ({ ...b, weight: 2 }));
  p = p2c.build(next, p, scripted([0.1, 0.5]));
  assert.equal(p.pick(CTX)?.address, 'b');
});
