import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILD_BUDGET, MAX_SCHEDULE, WrrPicker, wrr } from '../../strategies/wrr.ts';
import { EdfStepper } from '../../strategies/wrr-schedule.ts';
import type { Picker } from '../../strategies/strategy.ts';
import { CTX, backend, backends, counts, ctxAt, picks, seeded } from './helpers.ts';

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

test('EDF: 5:1:1 gives a a a b c a a (deadlines (j − ½)/w, lower index on ties), exactly periodic', () => {
  const edf = new EdfStepper([5, 1, 1], 0);
  const seq = Array.from({ length: 21 }, () => 'abc'[edf.next()]).join('');
  assert.equal(seq, 'aaabcaa'.repeat(3));
});

test('EDF starting at a fraction of the period continues the sequence from there', () => {
  const full = Array.from({ length: 14 }, ((e) => () => e.next())(new EdfStepper([5, 1, 1], 0)));
  const late = new EdfStepper([5, 1, 1], 3 / 7); // deadlines .1 .3 .5(a b c) at or before .43 → a a had
  assert.equal(late.startPosition, 2);
  assert.deepEqual(Array.from({ length: 12 }, () => late.next()), full.slice(2));
});

test('1,000 backends of weights 1..10: the period is precomputed (EDF tier) and every window holds exact counts', () => {
  const weights = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7) % 10));
  const total = weights.reduce((a, b) => a + b, 0);
  assert.ok(total * 1000 > BUILD_BUDGET && total <= MAX_SCHEDULE); // too big for smooth WRR, stored by EDF
  const p: Picker = wrr.build(weights.map((w, i) => backend(`n${i}`, w, 'h', 1)), undefined, deps);
  const seq = Array.from({ length: total * 2 }, () => p.pick(CTX)!.address);
  for (const start of [0, 1, 777, total - 1, total]) {
    const c = new Map<string, number>();
    for (const a of seq.slice(start, start + total)) c.set(a, (c.get(a) ?? 0) + 1);
    weights.forEach((w, i) => assert.equal(c.get(`n${i}`), w, `window at ${start}, n${i}`));
  }
});

test('a down backend is skipped through the schedule: the others keep their proportions', () => {
  const bs = backends([5, 1, 1]);
  const p = wrr.build(bs, undefined, deps);
  bs[0]!.state.downUntil = 1000;
  assert.equal(picks(p, 6, ctxAt(0)), 'b c b c b c');
  bs[0]!.state.downUntil = 0;
  bs[2]!.state.healthy = false;
  const c = counts(p, 60, ctxAt(0));
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c')], [50, 10, undefined]);
});

test('a retry never gets the tried backend; the rotation carries on after it', () => {
  const bs = backends([1, 1, 1]);
  const p = wrr.build(bs, undefined, deps);
  assert.equal(p.pick(ctxAt(0, [bs[0]!]))?.address, 'b');
  assert.equal(picks(p, 3), 'c a b');
});

test('most of the weight down: the pick still finds the usable backend past MAX_SKIP scheduled steps', () => {
  const bs = backends([1000, 1]);
  const p = wrr.build(bs, undefined, deps);
  bs[0]!.state.downUntil = 10;
  assert.equal(picks(p, 3, ctxAt(0)), 'b b b');
});
