#!/usr/bin/env node
/**
 * What counting costs on the request path: nanoseconds per call of the
 * metrics observer's hooks (app/metrics/observer.ts), against the observer
 * that counts nothing, and the heap it allocates per call once warm.
 *
 *   node --import tsx bench/observer-cost.mjs            # or: --expose-gc for exact heap figures
 *   node --import tsx bench/observer-cost.mjs --calls 20000000
 *   node --import tsx bench/observer-cost.mjs --clock-per-call   # read Date.now on every call instead of once a second
 *   bun bench/observer-cost.mjs
 *
 * The calls cycle over 20 functions × 4 backends with varied statuses and
 * latencies, as a gateway sees them; every label set is used once during the
 * warm-up, so the timed loop measures the steady state. As in golb, the
 * observer reads Date.now once a second on a timer (`secondTimer`).
 * @module
 */
import { MetricsObserver } from '../app/metrics/observer.ts';
import { NO_OBSERVER } from '../app/observer.ts';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('calls', 5_000_000);
const ROUNDS = arg('rounds', 5);

const FNS = Array.from({ length: 20 }, (_, i) => `function-${i}`);
const BACKENDS = Array.from({ length: 4 }, (_, i) => `10.0.${i}.${i + 10}:8080`);
const known = new Set(FNS);
const table = { get: (fn) => (known.has(fn) ? { backends: [] } : undefined) };
const STATUSES = [200, 200, 200, 200, 201, 204, 304, 404, 500, 200];
const LATENCIES = Array.from({ length: 97 }, (_, i) => 0.2 + (i * i) / 40);

/**
 * Runs `calls` calls of `hook`; returns CPU ns per call (the process's user +
 * system time, so other load on the machine does not inflate it).
 */
function time(calls, hook) {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) hook(i);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / calls;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const heap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};

const cases = (observer) => ({
  'response()': (i) => observer.response(FNS[i % 20], BACKENDS[(i >> 3) & 3], STATUSES[i % 10], LATENCIES[i % 97]),
  'upstreamError()': (i) => observer.upstreamError(FNS[i % 20], BACKENDS[i & 3], 'connect'),
  'retry()': (i) => observer.retry(FNS[i % 20]),
  'rejected(), known function': (i) => observer.rejected(FNS[i % 20], 'no_backend'),
  'rejected(), unknown name': () => observer.rejected('not-a-function', 'unknown_function'),
});

const metrics = new MetricsObserver({ table, now: Date.now, secondTimer: process.argv.includes('--clock-per-call') ? false : true });
const measured = cases(metrics);
const baseline = cases(NO_OBSERVER);
const rows = [];
for (const name of Object.keys(measured)) {
  // Warm-up: every label set created, the functions optimised.
  time(200_000, measured[name]);
  time(200_000, baseline[name]);
  const ns = [];
  const base = [];
  const before = heap();
  for (let r = 0; r < ROUNDS; r++) {
    ns.push(time(CALLS, measured[name]));
    base.push(time(CALLS, baseline[name]));
  }
  const grown = heap() - before;
  rows.push({ name, ns: median(ns), base: median(base), bytesPerCall: grown / (CALLS * ROUNDS) });
}

console.log(`observer cost, ${CALLS.toLocaleString('en-US')} calls × ${ROUNDS} rounds (median), ${globalThis.Bun ? `bun ${globalThis.Bun.version}` : `${process.release.name} ${process.version}`}${globalThis.gc ? ', heap after gc' : ''}`);
console.log('');
console.log('| hook | CPU ns per call | no-op observer, CPU ns | heap bytes per call |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.ns.toFixed(1)} | ${r.base.toFixed(1)} | ${r.bytesPerCall.toFixed(3)} |`);
metrics.close();
