import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedEnough, lrtWeights, observe, updateAverages, type Average } from '../../../examples/optimiser/lrt.ts';
import { decodeReports, freshReports } from '../../../examples/optimiser/reports.ts';
import { report, type Figures } from './report-fixture.ts';

const T0 = '2026-12-07T10:00:00.000Z';
const T45 = '2026-12-07T10:00:45.000Z';

/** Reports in, weights out: one round of the optimiser over `reports` for function `f` listing `ips` at `current`. */
function round(reports: ReturnType<typeof report>[], ips: string[], current: number[], previous = new Map<string, Average>(), scaling = 2.5) {
  const values = Object.fromEntries(reports.map((r, i) => [`golb/load/z/${r.node}${r.part ? `/${r.part.index}` : ''}#${i}`, JSON.stringify(r)]));
  const fresh = freshReports(decodeReports(values, 'z').reports, new Map());
  const observed = observe(fresh, 'f');
  const averages = updateAverages(previous, observed, ips, 45_000);
  return { weights: lrtWeights(ips, current, averages, observed, scaling), averages };
}

const one = (figures: Record<string, Figures>) => report('z', 'gw-1', T0, { f: figures });

test('weight = max(1, 100 / (rt / rt_min)^2.5), 2 decimals: 10 ms → 100, 20 ms → 17.68, 100 ms → 1', () => {
  const { weights } = round([one({ 'a:80': [50, 10], 'b:80': [50, 20], 'c:80': [50, 100] })], ['a:80', 'b:80', 'c:80'], [1, 1, 1]);
  assert.deepEqual(weights, [100, 17.68, 1]);
});

test('the scaling is the exponent: 1 gives 100 / (rt / rt_min)', () => {
  const { weights } = round([one({ 'a:80': [50, 10], 'b:80': [50, 20], 'c:80': [50, 30] })], ['a:80', 'b:80', 'c:80'], [1, 1, 1], undefined, 1);
  assert.deepEqual(weights, [100, 50, 33.33]);
});

test("two gateways' reports merge request-weighted: 90 requests at 10 ms and 10 at 50 ms are 14 ms", () => {
  const gw1 = report('z', 'gw-1', T0, { f: { 'a:80': [90, 10], 'b:80': [20, 28] } });
  const gw2 = report('z', 'gw-2', T0, { f: { 'a:80': [10, 50] } });
  const { averages, weights } = round([gw1, gw2], ['a:80', 'b:80'], [1, 1]);
  assert.equal(averages.get('a:80')!.rtMs, 14);
  assert.deepEqual(weights, [100, Math.round((100 / (28 / 14) ** 2.5) * 100) / 100]);
});

test('a split report counts once all its parts are in, its functions (and a function split across parts) joined', () => {
  const parts = [
    report('z', 'gw-1', T0, { f: { 'a:80': [50, 10] }, g: { 'x:80': [5, 1] } }, { index: 0, count: 2 }),
    report('z', 'gw-1', T0, { f: { 'b:80': [50, 20] } }, { index: 1, count: 2 }),
  ];
  assert.deepEqual(round(parts, ['a:80', 'b:80'], [1, 1]).weights, [100, 17.68]);
  const decoded = decodeReports({ k0: JSON.stringify(parts[0]), k1: JSON.stringify(parts[1]) }, 'z').reports;
  assert.deepEqual(Object.keys(decoded[0]!.functions).sort(), ['f', 'g']);
  // One part missing (the gateway is half way through writing them): the report is not used yet.
  assert.deepEqual(decodeReports({ k0: JSON.stringify(parts[0]) }, 'z').reports, []);
  assert.deepEqual(round([parts[1]!], ['a:80', 'b:80'], [3, 1]).weights, [3, 1]);
});

test('the average moves by α = 1 − exp(−Δt / 45 s): 10 ms, then 20 ms 45 s later, is 16.32 ms', () => {
  const first = round([one({ 'a:80': [10, 10] })], ['a:80'], [1]).averages;
  const second = round([report('z', 'gw-1', T45, { f: { 'a:80': [10, 20] } })], ['a:80'], [1], first).averages;
  assert.equal(Math.round(second.get('a:80')!.rtMs * 100) / 100, Math.round((10 + (1 - Math.exp(-1)) * 10) * 100) / 100);
  assert.equal(Math.round(second.get('a:80')!.rtMs * 100) / 100, 16.32);
});

test('a new backend starts from the median of the others, one report window (5 s) before its first figures', () => {
  const known = new Map<string, Average>([['a:80', { rtMs: 10, atMs: Date.parse(T0) }], ['b:80', { rtMs: 30, atMs: Date.parse(T0) }]]);
  const { averages } = round([report('z', 'gw-1', T45, { f: { 'c:80': [10, 100] } })], ['a:80', 'b:80', 'c:80'], [1, 1, 1], known);
  const alpha = 1 - Math.exp(-5 / 45);
  assert.equal(averages.get('c:80')!.rtMs, 20 + alpha * 80);
});

test('only listed backends are reweighed: no traffic keeps its weight, 0 stays 0, an unlisted one is not added', () => {
  const { weights } = round([one({ 'a:80': [50, 10], 'b:80': [50, 20], 'z:80': [50, 1] })], ['a:80', 'b:80', 'c:80', 'd:80'], [1, 1, 7, 0]);
  assert.deepEqual(weights, [100, 17.68, 7, 0]);
  // A backend without answered requests (only failures: latency null) has no response time either.
  assert.deepEqual(round([one({ 'a:80': [50, 10], 'b:80': [0, 0] })], ['a:80', 'b:80'], [1, 5]).weights, [100, 5]);
});

test('threshold: a write only when some weight moves by more than 10 % of itself', () => {
  assert.equal(changedEnough([100, 17.68], [100, 19], 0.1), false); // +7.5 %
  assert.equal(changedEnough([100, 17.68], [100, 20], 0.1), true); // +13 %
  assert.equal(changedEnough([100, 17.68], [89, 17.68], 0.1), true); // −11 %
  assert.equal(changedEnough([100, 17.68], [100, 17.68], 0), false);
  assert.equal(changedEnough([100, 17.68], [100, 17.69], 0), true);
});

test('a report already used is not counted again (the optimiser runs more often than gateways report)', () => {
  const r = decodeReports({ k: JSON.stringify(one({ 'a:80': [1, 1] })) }, 'z').reports;
  const used = new Map<string, number>();
  assert.equal(freshReports(r, used).length, 1);
  assert.equal(freshReports(r, used).length, 0);
});

test('values that are not usable reports are skipped, each with its reason', () => {
  const { reports, problems } = decodeReports(
    {
      bad: '{',
      other: JSON.stringify(report('elsewhere', 'gw-9', T0, {})),
      future: JSON.stringify({ ...report('z', 'gw-8', T0, {}), schema: 2 }),
      good: JSON.stringify(one({ 'a:80': [1, 1] })),
    },
    'z',
  );
  assert.equal(reports.length, 1);
  assert.deepEqual(problems.map((p) => p.key), ['bad', 'other', 'future']);
  assert.match(problems[2]!.reason, /schema 2/);
});
