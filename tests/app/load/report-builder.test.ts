/**
 * The load report builder, pure: the observer's and the backend states'
 * counters in (driven through their own methods, as the request path drives
 * them), the report out. Counts are exact differences between two builds;
 * latency covers only the window's seconds; idle functions are left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLoadReport, firstMark, type ReportInputs, type ReportMark } from '../../../app/load/report-builder.ts';
import { LOAD_REPORT_SCHEMA } from '../../../app/load/report.ts';
import { MetricsObserver } from '../../../app/metrics/observer.ts';
import { parseAddress, type FunctionSpec } from '../../../app/sources/function-value.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { BackendStates, requestEnded, requestStarted } from '../../../strategies/backend-state.ts';

const A = '10.0.0.1:8080';
const B = '10.0.0.2:8080';
const GW = '10.9.0.1:8080';

function spec(targets: [string, number][]): FunctionSpec {
  return { targets: targets.map(([a, weight]) => ({ ...(parseAddress(a) as { address: string; host: string; port: number }), weight })), strategy: undefined };
}

function fixture() {
  const clock = { wall: Date.UTC(2026, 0, 1, 12, 0, 0, 200), monotonic: 100_000 };
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [GW], deps: { random: () => 0.5, now: () => clock.monotonic }, states });
  table.set('resnet', spec([[A, 3], [B, 1], [GW, 0]]));
  table.set('idle', spec([[A, 1]]));
  const observer = new MetricsObserver({ table, now: () => clock.wall });
  let mark: ReportMark = firstMark(clock.monotonic, observer.recordingSecond());
  const inputs = (): ReportInputs => ({
    zone: 'z1', node: 'edge-1', functions: observer.functions, table, states,
    revisionOf: (fn) => (fn === 'resnet' ? 42 : undefined),
    wallMs: clock.wall, monotonicMs: clock.monotonic, second: observer.recordingSecond(),
  });
  const build = () => {
    const out = buildLoadReport(inputs(), mark);
    mark = out.mark;
    return out.report;
  };
  const pass = (ms: number) => {
    clock.wall += ms;
    clock.monotonic += ms;
  };
  return { clock, states, table, observer, build, pass };
}

test('a window: exact counts per function and backend, errors by class, rates, weights, health, revision', () => {
  const { states, observer, build, pass, clock } = fixture();
  for (let i = 0; i < 8; i++) observer.response('resnet', A, 200, 12);
  observer.response('resnet', A, 404, 12);
  observer.response('resnet', B, 503, 40);
  observer.upstreamError('resnet', B, 'connect');
  observer.upstreamError('resnet', B, 'reset');
  observer.upstreamError('resnet', B, 'protocol');
  observer.upstreamError('resnet', B, 'timeout');
  observer.retry('resnet');
  observer.rejected('resnet', 'upstream_failed');
  observer.rejected('resnet', 'no_backend');
  observer.rejected('resnet', 'no_backend');
  observer.rejected('nobody-knows', 'unknown_function');
  // Two requests in flight on A; B is marked down by its failures; A's peak-EWMA has a sample.
  const a = states.get(A);
  requestStarted(a);
  requestStarted(a);
  requestStarted(a);
  requestEnded(a, 12, clock.monotonic);
  states.get(B).downUntil = clock.monotonic + 60_000;
  pass(5_000);

  const report = build();
  assert.equal(report.schema, LOAD_REPORT_SCHEMA);
  assert.deepEqual([report.zone, report.node, report.time, report.windowMs], ['z1', 'edge-1', '2026-01-01T12:00:05.200Z', 5_000]);
  assert.deepEqual(Object.keys(report.functions), ['resnet'], 'only functions with traffic; a name no function has is nowhere');
  const f = report.functions.resnet!;
  // 10 backend answers and 3 of golb's own: 13 answers to clients.
  assert.equal(f.requests, 13);
  assert.equal(f.rate, 2.6);
  assert.equal(f.inFlight, 2);
  assert.deepEqual(f.rejected, { upstream_failed: 1, no_backend: 2 });
  assert.equal(f.weightsRevision, 42);
  assert.deepEqual(Object.keys(f.backends), [A, B, GW], 'every backend of the weights, in their order');
  const ra = f.backends[A]!;
  assert.deepEqual(
    { ...ra, latencyMs: undefined },
    { requests: 9, rate: 1.8, inFlight: 2, errors: { refused: 0, reset: 0, timeout: 0, status5xx: 0 }, latencyMs: undefined, ewmaMs: 12, health: 'up', weight: 3, gateway: false },
  );
  assert.ok(ra.latencyMs !== null && ra.latencyMs.p50 >= 8 && ra.latencyMs.p50 <= 16, JSON.stringify(ra.latencyMs));
  const rb = f.backends[B]!;
  assert.deepEqual(
    { ...rb, latencyMs: undefined },
    { requests: 5, rate: 1, inFlight: 0, errors: { refused: 1, reset: 2, timeout: 1, status5xx: 1 }, latencyMs: undefined, ewmaMs: 0, health: 'down', weight: 1, gateway: false },
  );
  assert.deepEqual(f.backends[GW], { requests: 0, rate: 0, inFlight: 0, errors: { refused: 0, reset: 0, timeout: 0, status5xx: 0 }, latencyMs: null, ewmaMs: 0, health: 'draining', weight: 0, gateway: true });
  assert.ok(f.latencyMs !== null && f.latencyMs.p50 >= 8 && f.latencyMs.p50 <= 16 && f.latencyMs.p99 >= 32, JSON.stringify(f.latencyMs));
});

test('the next window counts only what happened since the last report; an idle window lists nothing', () => {
  const { observer, build, pass, table, states } = fixture();
  for (let i = 0; i < 5; i++) observer.response('resnet', A, 200, 2);
  pass(5_000);
  assert.equal(build().functions.resnet!.requests, 5);
  pass(5_000);
  assert.deepEqual(build().functions, {}, 'nothing happened');

  for (let i = 0; i < 3; i++) observer.response('resnet', A, 200, 100);
  observer.response('idle', A, 200, 1);
  states.get(A).healthy = false;
  pass(2_500);
  const r = build();
  assert.equal(r.windowMs, 2_500);
  assert.deepEqual(Object.keys(r.functions), ['idle', 'resnet']);
  const ra = r.functions.resnet!.backends[A]!;
  assert.equal(ra.requests, 3);
  assert.equal(ra.rate, 1.2);
  assert.equal(ra.health, 'unhealthy', 'the active check wins over everything else');
  assert.ok(ra.latencyMs !== null && ra.latencyMs.p50 >= 64, `only this window's 100 ms answers, not the 2 ms ones before: ${JSON.stringify(ra.latencyMs)}`);
  assert.equal(r.functions.idle!.weightsRevision, null, 'a value from the file or discovery');

  // A backend taken out of the weights that still finished requests in the window is listed, weight 0.
  observer.response('resnet', B, 200, 5);
  table.set('resnet', spec([[A, 1]]));
  pass(5_000);
  const after = build().functions.resnet!;
  assert.deepEqual(Object.keys(after.backends), [A, B]);
  assert.deepEqual([after.backends[B]!.requests, after.backends[B]!.weight, after.backends[B]!.health], [1, 0, 'draining']);
});

test('a record the observer dropped and made again counts from zero; a function gone from the table is left out', () => {
  const { observer, build, pass, table } = fixture();
  for (let i = 0; i < 4; i++) observer.response('resnet', A, 200, 2);
  pass(5_000);
  assert.equal(build().functions.resnet!.requests, 4);
  observer.functions.delete('resnet');
  observer.response('resnet', A, 200, 2);
  pass(5_000);
  const r = build().functions.resnet!;
  assert.equal(r.requests, 1);
  assert.equal(r.backends[A]!.requests, 1);
  observer.response('resnet', A, 200, 2);
  table.delete('resnet');
  pass(5_000);
  assert.deepEqual(build().functions, {});
});

test("answers in the build's own second are in its latency, and not again in the next report's", () => {
  const { observer, build, pass } = fixture();
  // The clock starts at .200 of a second: builds at .500 and .800 are in the same second.
  for (let i = 0; i < 4; i++) observer.response('resnet', A, 200, 2);
  pass(300);
  const first = build().functions.resnet!.backends[A]!;
  assert.equal(first.requests, 4);
  assert.ok(first.latencyMs !== null && first.latencyMs.p99 <= 3, JSON.stringify(first.latencyMs));
  for (let i = 0; i < 4; i++) observer.response('resnet', A, 200, 200);
  pass(300);
  const second = build().functions.resnet!.backends[A]!;
  assert.equal(second.requests, 4);
  assert.ok(second.latencyMs !== null && second.latencyMs.p50 >= 128, `only the 200 ms answers: ${JSON.stringify(second.latencyMs)}`);
  pass(300);
  assert.deepEqual(build().functions, {}, 'the next second: nothing new');
  observer.response('resnet', A, 200, 2);
  pass(300);
  const third = build().functions.resnet!.backends[A]!;
  assert.ok(third.latencyMs !== null && third.latencyMs.p99 <= 3, `the one 2 ms answer alone: ${JSON.stringify(third.latencyMs)}`);
});
