import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DURATION_BUCKETS, MetricsObserver, metricsOf } from '../../../app/metrics/observer.ts';
import { NO_OBSERVER } from '../../../app/observer.ts';

const known = new Set(['f', 'g']);
const table = { get: (fn: string) => (known.has(fn) ? ({ backends: [{ address: 'a:1' }] } as never) : undefined) };

function observer(nowMs = 1_000_000) {
  let now = nowMs;
  const o = new MetricsObserver({ table, now: () => now });
  return { o, advance: (ms: number) => (now += ms) };
}

test('responses count by function, backend and status class; latency by function', () => {
  const { o } = observer();
  for (const [status, ms] of [[200, 0.5], [204, 3], [302, 20], [404, 700], [503, 70_000], [101, 1]] as const) o.response('f', 'a:1', status, ms);
  o.response('f', 'b:2', 200, 1);
  const f = o.functions.get('f')!;
  assert.deepEqual([...f.backends.get('a:1')!.codes], [1, 2, 1, 1, 1]);
  assert.deepEqual([...f.backends.get('b:2')!.codes], [0, 1, 0, 0, 0]);
  assert.equal(f.count, 7);
  assert.ok(Math.abs(f.sumSeconds - (0.5 + 3 + 20 + 700 + 70_000 + 1 + 1) / 1000) < 1e-9);
  // 0.5 ms and 1 ms ≤ 1 ms (three), 3 ms ≤ 5 ms, 20 ms ≤ 25 ms, 700 ms ≤ 1 s, 70 s > 60 s (+Inf).
  const at = (le: number) => f.buckets[DURATION_BUCKETS.indexOf(le)];
  assert.equal(at(0.001), 3);
  assert.equal(at(0.005), 1);
  assert.equal(at(0.025), 1);
  assert.equal(at(1), 1);
  assert.equal(f.buckets[DURATION_BUCKETS.length], 1);
  assert.equal(f.buckets.reduce((a, b) => a + b, 0), 7);
});

test('upstream errors by failure, retries by function', () => {
  const { o } = observer();
  o.upstreamError('f', 'a:1', 'connect');
  o.upstreamError('f', 'a:1', 'connect');
  o.upstreamError('f', 'a:1', 'timeout');
  o.retry('f');
  const f = o.functions.get('f')!;
  assert.deepEqual([...f.backends.get('a:1')!.failures], [2, 1, 0, 0, 0, 0]);
  assert.equal(f.retries, 1);
  assert.equal(f.backends.get('a:1')!.window.seconds(1000)[0]!.errors, 3);
});

test('rejections of known functions count per function; made-up names only per code', () => {
  const { o } = observer();
  o.rejected('f', 'no_backend');
  o.rejected('f', 'no_backend');
  for (let i = 0; i < 100; i++) o.rejected(`made-up-${i}`, 'unknown_function');
  o.rejected(undefined, 'bad_request');
  assert.equal(o.functions.get('f')!.rejected.get('no_backend'), 2);
  assert.deepEqual([...o.rejectedUnknown], [['unknown_function', 100], ['bad_request', 1]]);
  assert.deepEqual([...o.functions.keys()], ['f'], 'no record for names not in the table');
});

test('prune drops backends and functions that left the table once idle for a minute', () => {
  const { o, advance } = observer();
  o.response('f', 'a:1', 200, 1);
  o.response('f', 'gone:9', 200, 1);
  o.response('old', 'x:1', 200, 1);
  o.prune(table);
  assert.deepEqual([...o.functions.get('f')!.backends.keys()], ['a:1', 'gone:9'], 'recent records stay');
  assert.ok(o.functions.has('old'));
  advance(61_000);
  o.prune(table);
  assert.deepEqual([...o.functions.get('f')!.backends.keys()], ['a:1'], 'a listed backend stays');
  assert.equal(o.functions.has('old'), false);
});

test('metricsOf gives the app observer, or an empty one', () => {
  const { o } = observer();
  assert.equal(metricsOf({ observer: o, table, now: () => 0 }), o);
  const fresh = metricsOf({ observer: NO_OBSERVER, table, now: () => 0 });
  assert.ok(fresh instanceof MetricsObserver);
  assert.equal(fresh.functions.size, 0);
});

test('with the second timer, calls record into the second the timer read, not the clock at the call', () => {
  let now = 1_000_500;
  let reads = 0;
  const o = new MetricsObserver({ table, now: () => (reads++, now), secondTimer: true });
  try {
    const before = reads;
    now = 5_000_000; // the clock moved; the timer has not fired yet
    o.response('f', 'a:1', 200, 1);
    o.upstreamError('f', 'a:1', 'reset');
    assert.equal(reads, before, 'no clock read on the request path');
    assert.deepEqual(o.functions.get('f')!.backends.get('a:1')!.window.seconds(1000).map((s) => [s.second, s.requests, s.errors]), [[1000, 1, 1]]);
  } finally {
    o.close();
  }
});
