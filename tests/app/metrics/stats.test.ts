import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsObserver } from '../../../app/metrics/observer.ts';
import { buildStats } from '../../../app/metrics/stats.ts';
import { StatsAnswers } from '../../../app/metrics/stats-answer.ts';
import { parseAddress } from '../../../app/sources/function-value.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { BackendStates } from '../../../strategies/backend-state.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function setup() {
  let now = T0;
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: ['10.9.9.9:80'], deps: { random: () => 0.5, now: () => 0 }, states });
  const targets = ['10.0.0.1:80', '10.0.0.2:80', '10.9.9.9:80'].map((a, i) => ({ ...(parseAddress(a) as { address: string; host: string; port: number }), weight: 3 - i }));
  table.set('f', { targets, strategy: 'rr' });
  const observer = new MetricsObserver({ table, now: () => now });
  const inputs = { table, states, node: 'edge-1', zone: 'z', now: () => now, monotonic: () => 5_000 };
  return { states, observer, inputs, advance: (ms: number) => (now += ms) };
}

test("fnlb's per-second entries: tp and mean wait per function, backend and second", () => {
  const { observer, inputs, advance } = setup();
  observer.response('f', '10.0.0.1:80', 200, 10);
  observer.response('f', '10.0.0.1:80', 200, 30);
  observer.response('f', '10.0.0.2:80', 500, 4);
  advance(1000);
  observer.response('f', '10.0.0.1:80', 200, 6);
  observer.upstreamError('f', '10.0.0.2:80', 'connect');
  const doc = buildStats(observer, inputs);
  assert.deepEqual(doc.stats, [
    { timestamp: '2026-01-01T12:00:00.000Z', tp: 2, node: '10.0.0.1:80', func: 'f', wait: 0.02, errors: 0 },
    { timestamp: '2026-01-01T12:00:00.000Z', tp: 1, node: '10.0.0.2:80', func: 'f', wait: 0.004, errors: 0 },
    { timestamp: '2026-01-01T12:00:01.000Z', tp: 1, node: '10.0.0.1:80', func: 'f', wait: 0.006, errors: 0 },
    { timestamp: '2026-01-01T12:00:01.000Z', tp: 0, node: '10.0.0.2:80', func: 'f', wait: 0, errors: 1 },
  ]);
  assert.equal(doc.node, 'edge-1');
  assert.equal(doc.zone, 'z');
  assert.equal(doc.window, 60);
  assert.equal(doc.time, '2026-01-01T12:00:01.000Z');
});

test('each function lists its backends with weight, health, in flight and minute figures', () => {
  const { observer, inputs, advance, states } = setup();
  for (let i = 0; i < 100; i++) observer.response('f', '10.0.0.1:80', 200, i < 50 ? 1 : 100);
  advance(2000);
  states.get('10.0.0.2:80').healthy = false;
  states.get('10.0.0.1:80').inFlight = 4;
  const doc = buildStats(observer, inputs);
  const [f] = doc.functions;
  assert.equal(f!.func, 'f');
  assert.equal(f!.strategy, 'rr');
  assert.equal(f!.requests, 100);
  assert.equal(f!.rps, 10, '100 requests in the last 10 whole seconds');
  const [a, b, gw] = f!.backends;
  assert.deepEqual({ ...a, p50: undefined, p99: undefined }, { node: '10.0.0.1:80', weight: 3, gateway: false, up: true, inFlight: 4, requests: 100, errors: 0, rps: 10, p50: undefined, p99: undefined });
  assert.ok(a!.p50! >= 0.001 && a!.p50! <= 0.0015, `p50 ${a!.p50}`);
  assert.ok(a!.p99! > 0.066 && a!.p99! < 0.134, `p99 ${a!.p99}`);
  assert.deepEqual({ node: b!.node, weight: b!.weight, up: b!.up, requests: b!.requests, p50: b!.p50 }, { node: '10.0.0.2:80', weight: 2, up: false, requests: 0, p50: null });
  assert.equal(gw!.gateway, true);
  advance(60_000);
  const later = buildStats(observer, inputs);
  assert.deepEqual(later.stats, []);
  assert.equal(later.functions[0]!.requests, 0);
});

test('since: only the entries of that second and later; the functions stay whole', () => {
  const { observer, inputs, advance } = setup();
  observer.response('f', '10.0.0.1:80', 200, 10);
  advance(1000);
  observer.response('f', '10.0.0.1:80', 200, 10);
  advance(1000);
  observer.response('f', '10.0.0.1:80', 200, 10);
  const second = T0 / 1000;
  assert.deepEqual(buildStats(observer, inputs, second + 1).stats.map((s) => s.timestamp), ['2026-01-01T12:00:01.000Z', '2026-01-01T12:00:02.000Z']);
  assert.deepEqual(buildStats(observer, inputs, second + 5).stats, []);
  assert.equal(buildStats(observer, inputs, second + 5).functions[0]!.requests, 3);
});

test('StatsAnswers: the document serialized once answers every since exactly as JSON.stringify would', () => {
  const { observer, inputs, advance } = setup();
  const empty = new StatsAnswers(buildStats(observer, inputs));
  assert.equal(Buffer.from(empty.since(0).body).toString(), JSON.stringify(buildStats(observer, inputs)));
  for (let i = 0; i < 3; i++) {
    observer.response('f', '10.0.0.1:80', 200, 10 + i);
    observer.response('f', '10.0.0.2:80', 200, 5);
    advance(1000);
  }
  const answers = new StatsAnswers(buildStats(observer, inputs));
  const second = T0 / 1000;
  for (const since of [0, second - 100, second, second + 1, second + 2, second + 3, second + 1000]) {
    assert.equal(Buffer.from(answers.since(since).body).toString(), JSON.stringify(buildStats(observer, inputs, since)), `since ${since}`);
  }
  assert.equal(answers.since(second + 1), answers.since(second + 1), 'assembled once, then shared');
  assert.equal(answers.since(0), answers.since(second - 5), 'every since before the window is the whole window');
  assert.equal(answers.since(0).contentType, 'application/json');
});

test('a view lists at most maxBackends backends, with the totals; `only` keeps one function', () => {
  const { observer, inputs, states } = setup();
  states.get('10.9.9.9:80').healthy = false;
  observer.response('f', '10.9.9.9:80', 200, 10);
  const [f] = buildStats(observer, inputs, 0, { maxBackends: 2 }).functions;
  assert.deepEqual(f!.backends.map((b) => b.node), ['10.0.0.1:80', '10.0.0.2:80']);
  assert.deepEqual([f!.backendsTotal, f!.backendsUp, f!.truncated, f!.requests], [3, 2, true, 1]);
  const whole = buildStats(observer, inputs).functions[0]!;
  assert.deepEqual([whole.backends.length, whole.truncated], [3, false]);
  assert.deepEqual(buildStats(observer, inputs, 0, { only: 'nope' }), { ...buildStats(observer, inputs), stats: [], functions: [] });
  assert.equal(buildStats(observer, inputs, 0, { only: 'f' }).stats.length, 1);
});
