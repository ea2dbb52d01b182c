/**
 * Decimal weights (what a least-response-time optimiser writes) in every
 * strategy that reads weights: proportions kept over long runs, 0 still drains,
 * all 0 still means no backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wrr } from '../../strategies/wrr.ts';
import { rr } from '../../strategies/rr.ts';
import { random } from '../../strategies/random.ts';
import { p2c } from '../../strategies/p2c.ts';
import { cheaper } from '../../strategies/ewma.ts';
import { chash } from '../../strategies/chash.ts';
import { buildRing } from '../../strategies/hash-ring.ts';
import { requestStarted } from '../../strategies/backend-state.ts';
import type { Backend, Picker, StrategyDeps } from '../../strategies/strategy.ts';
import { CTX, backends, counts, ctxAt, picks, scripted, seeded } from './helpers.ts';

const deps = seeded(1);
const DECIMALS = [1.5, 2.25, 0.25];
const N = 100_000;

/** Evenly spread randomness (a Weyl sequence): a weighted draw then lands on each backend in proportion, to within a few picks. */
function evenly(): StrategyDeps {
  let x = 0;
  return { random: () => (x = (x + 0.6180339887498949) % 1), now: () => 0 };
}

/** Asserts each backend's share of `n` picks is within 0.1 % of its share of `weights`. */
function assertShares(c: Map<string, number>, weights: readonly number[], n: number): void {
  const total = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => {
    const name = 'abcdefg'[i]!;
    const expected = (w / total) * n;
    const got = c.get(name) ?? 0;
    assert.ok(Math.abs(got - expected) <= 0.001 * expected + 1, `${name}: ${got} picks, expected ${expected}`);
  });
}

test('wrr: 1.5 : 2.25 : 0.25 picks exactly like 6 : 9 : 1, and 100,000 picks split exactly 37,500 / 56,250 / 6,250', () => {
  assert.equal(picks(wrr.build(backends(DECIMALS), undefined, deps), 32), picks(wrr.build(backends([6, 9, 1]), undefined, deps), 32));
  const c = counts(wrr.build(backends(DECIMALS), undefined, deps), N);
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c')], [37_500, 56_250, 6_250]);
});

test("wrr: an optimiser's two-decimal weights hold exactly over one period", () => {
  const weights = [100, 43.27, 1, 12.5];
  const period = 10_000 + 4_327 + 100 + 1_250;
  const c = counts(wrr.build(backends(weights), undefined, deps), period);
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c'), c.get('d')], [10_000, 4_327, 100, 1_250]);
});

test('wrr: weights without a short decimal form keep their proportions within 0.1 %', () => {
  const weights = [1 / 3, 2 / 3, 0.0123456789];
  assertShares(counts(wrr.build(backends(weights), undefined, deps), N), weights, N);
});

test('wrr: a decimal 0 drains, all 0 picks nothing, and a decimal update keeps the rotation going', () => {
  assert.doesNotMatch(picks(wrr.build(backends([0.5, 0, 0.5]), undefined, deps), 20), /b/);
  assert.equal(picks(wrr.build(backends([0, 0.0]), undefined, deps), 3), '- - -');
  // An optimiser rewriting 0.1 : 0.3 and 0.2 : 0.6 after every pick: each update continues the period (1 : 3), none restarts it.
  let p: Picker = wrr.build(backends([0.1, 0.3]), undefined, deps);
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    seen.push(p.pick(CTX)!.address);
    p = wrr.build(backends(i % 2 === 0 ? [0.2, 0.6] : [0.1, 0.3]), p, deps);
  }
  assert.equal(seen.filter((x) => x === 'a').length, 10);
});

test('wrr: 0.1 : 0.2 : 0.3 is the smooth sequence of 1 : 2 : 3, repeating', () => {
  const p = wrr.build(backends([0.1, 0.2, 0.3]), undefined, deps);
  assert.equal(picks(p, 12), picks(wrr.build(backends([1, 2, 3]), undefined, deps), 12));
  assert.equal(picks(p, 6), picks(p, 6));
});

test('random: decimal weights keep their proportions within 0.1 % over 100,000 picks; 0 is never drawn', () => {
  assertShares(counts(random.build(backends(DECIMALS), undefined, evenly()), N), DECIMALS, N);
  assert.equal(counts(random.build(backends([0.75, 0]), undefined, seeded(3)), 1000).get('b'), undefined);
  assert.equal(picks(random.build(backends([0, 0]), undefined, deps), 2), '- -');
});

test('p2c: idle, the first candidate (drawn by weight) wins: decimal proportions within 0.1 %', () => {
  assertShares(counts(p2c.build(backends(DECIMALS), undefined, evenly()), N), DECIMALS, N);
  assert.equal(picks(p2c.build(backends([0, 0]), undefined, deps), 2), '- -');
});

test('p2c: load is in flight per unit of a decimal weight: 2 on 2.5 beats 1 on 0.5', () => {
  const bs = backends([2.5, 0.5]);
  for (let i = 0; i < 2; i++) requestStarted(bs[0]!.state);
  requestStarted(bs[1]!.state);
  // Alias table [2.5, 0.5]: r = 0.55 draws b first; the second candidate is then a.
  assert.equal(p2c.build(bs, undefined, scripted([0.55, 0.3])).pick(CTX)?.address, 'a');
});

test('ewma: the cost divides by a decimal weight: 30 ms on weight 2 beats 10 ms on weight 0.5', () => {
  const [slow, fast] = backends([2, 0.5]);
  for (const [b, ms] of [[slow!, 30], [fast!, 10]] as const) {
    b.state.latencyMs = ms;
    b.state.lastSampleAt = 1_000;
  }
  assert.equal(cheaper(slow!.state, 2, fast!.state, 0.5, 1_000), true);
  assert.equal(cheaper(fast!.state, 0.5, slow!.state, 2, 1_000), false);
});

test('chash: virtual nodes in proportion to decimal weights, and the load bound scales with them', () => {
  const ring = buildRing(['a', 'b', 'c'], DECIMALS);
  const owned = [0, 1, 2].map((i) => ring.owners.filter((o) => o === i).length);
  assert.deepEqual(owned, [144, 216, 24]); // 128 per unit of the mean weight 4/3
  const bs: Backend[] = backends([2.5, 0.5]);
  const p = chash.build(bs, undefined, deps);
  for (let i = 0; i < 12; i++) requestStarted(p.pick(ctxAt(0, undefined, 'hot'))!.state);
  // b (0.5 of 3) may hold fewer than ceil(1.25 × 12 × 0.5 / 3) = 3 before the last pick.
  assert.ok(bs[1]!.state.inFlight <= 3, `b holds ${bs[1]!.state.inFlight}`);
  assert.ok(bs[0]!.state.inFlight >= 9, `a holds ${bs[0]!.state.inFlight}`);
  assert.equal(picks(chash.build(backends([0, 0]), undefined, deps), 2), '- -');
});

test('rr: a decimal weight above 0 rotates like any other; 0 drains', () => {
  assert.equal(picks(rr.build(backends([0.25, 0, 1.5]), undefined, deps), 4), 'a c a c');
  assert.equal(picks(rr.build(backends([0, 0]), undefined, deps), 2), '- -');
});
