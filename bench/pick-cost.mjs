#!/usr/bin/env node
/**
 * `npm run bench:pick`: what one `pick` costs for every strategy, with 2 and
 * with 1,000 backends (weights mixed 1..10, in-flight counts and latencies
 * spread), and whether picking allocates.
 *
 *   node --expose-gc --import tsx bench/pick-cost.mjs
 *   bun bench/pick-cost.mjs
 *
 * Each strategy runs in a child process of its own. Per strategy and size: ns per pick (the best of ROUNDS timed batches after a
 * warm-up; a function's picker always hashes the function's name, so every pick
 * has one key; the extra `chash, 64 keys` row is the node pool, whose picker
 * hashes request paths),
 * the 1000/2 ratio (flagged when over 1.2: pick should cost the same whatever
 * the number of backends), and the heap over 1,000,000 picks: its growth with
 * no collection in between (allocation churn) and what remains after a full
 * collection (retained). Timings are noisy on a shared machine: nothing fails,
 * lines are only flagged. Settings: ROUNDS (default 25), BATCH (default 100000).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STRATEGIES } from '../strategies/registry.ts';
import { BackendState } from '../strategies/backend-state.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 25);
const BATCH = Number(process.env.BATCH ?? 100_000);
const RANDOM = process.env.RANDOM_SOURCE ?? 'math';
const HEAP_PICKS = 1_000_000;
const NOW = 1_000_000;
const runtime = typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.versions.node}`;

/** A full collection, where the runtime lets us ask for one. */
function collect() {
  if (typeof Bun !== 'undefined') Bun.gc(true);
  else if (typeof globalThis.gc === 'function') globalThis.gc();
}
const canCollect = typeof Bun !== 'undefined' || typeof globalThis.gc === 'function';

/** mulberry32: a cheap, repeatable uniform source. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` backends, weights 1..10, some requests in flight, latencies sampled. */
function makeBackends(n) {
  return Array.from({ length: n }, (_, i) => {
    const address = `10.0.${i >> 8}.${i & 255}:8080`;
    const weight = 1 + ((i * 7) % 10);
    const state = new BackendState(address);
    // A balanced steady state: in flight in proportion to weight (no backend over chash's bound).
    state.inFlight = Math.floor(weight / 3);
    state.latencyMs = 5 + ((i * 13) % 17);
    state.lastSampleAt = NOW - 100;
    return { address, host: address.split(':')[0], port: 8080, weight, gateway: false, state };
  });
}

/** What a function's picker sees: its own name as key, every time. */
const ONE_KEY = Array.from({ length: 64 }, () => ({ fn: 'resnet', key: 'resnet', now: NOW, tried: undefined }));
/** What the node pool's picker sees: a different request path per pick. */
const MANY_KEYS = Array.from({ length: 64 }, (_, i) => ({ fn: '_pool', key: `/r/app/route-${i}`, now: NOW, tried: undefined }));
/** A bench row: the strategy and the keys its picks use. */
const ROWS = [...[...STRATEGIES.keys()].map((name) => ({ row: name, name, keys: 'one' })), { row: 'chash, 64 keys (node pool)', name: 'chash', keys: 'many' }];
let contexts = ONE_KEY;

/**
 * A pick loop of its own per strategy (`new Function`), so that one strategy's
 * call site is not made megamorphic by the others measured before it.
 */
function pickLoop() {
  const loop = new Function(
    'picker',
    'contexts',
    'count',
    'let sink = 0; for (let i = 0; i < count; i++) sink += picker.pick(contexts[i & 63])?.weight ?? 0; return sink;',
  );
  return (picker, count) => loop(picker, contexts, count);
}

/** Best ns per pick of each picker, timed in alternating batches so that both see the same noise. */
function timeBoth(pickers) {
  const runs = pickers.map(() => pickLoop());
  pickers.forEach((p, i) => runs[i](p, BATCH)); // warm-up: let the JIT settle
  const best = pickers.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) {
    pickers.forEach((p, i) => {
      const t0 = performance.now();
      runs[i](p, BATCH);
      best[i] = Math.min(best[i], ((performance.now() - t0) * 1e6) / BATCH);
    });
  }
  return best;
}

/** Heap growth over HEAP_PICKS picks: without collection (churn), then after a full one (retained). */
function heapGrowth(picker) {
  const run = pickLoop();
  run(picker, BATCH);
  collect();
  const before = process.memoryUsage().heapUsed;
  run(picker, HEAP_PICKS);
  const churn = process.memoryUsage().heapUsed - before;
  collect();
  const retained = process.memoryUsage().heapUsed - before;
  return { churnMB: churn / 2 ** 20, retainedMB: retained / 2 ** 20 };
}

function build(strategy, n) {
  // Math.random as in production (a JS-written source may box its doubles and show as churn).
  const random = RANDOM === 'prng' ? prng(42) : Math.random;
  return strategy.build(makeBackends(n), undefined, { random, now: () => NOW });
}

function measure(strategy) {
  const pickers = [build(strategy, 2), build(strategy, 1000)];
  const [small, large] = timeBoth(pickers);
  return { small: { ns: small, ...heapGrowth(pickers[0]) }, large: { ns: large, ...heapGrowth(pickers[1]) } };
}

/**
 * Each strategy is measured in a process of its own (this script, named
 * strategy as argument, same runtime and flags): one strategy's garbage, heap
 * layout and JIT feedback never colour another's numbers.
 */
function measureApart(name, keys) {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', name, keys], {
    encoding: 'utf8',
    env: process.env,
  });
  if (r.status !== 0) throw new Error(`measuring ${name} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const one = process.argv.indexOf('--one');
if (one >= 0) {
  if (process.argv[one + 2] === 'many') contexts = MANY_KEYS;
  console.log(JSON.stringify(measure(STRATEGIES.get(process.argv[one + 1]))));
} else {
  const mb = (x) => (x >= 0 ? '+' : '') + x.toFixed(2);
  console.log(`pick cost, ${runtime}, best of ${ROUNDS} × ${BATCH} picks; heap over ${HEAP_PICKS} picks${canCollect ? '' : ' (no gc: run with --expose-gc)'}`);
  console.log('');
  console.log('| strategy | ns/pick n=2 | ns/pick n=1000 | 1000/2 | heap MB n=2 (churn / retained) | heap MB n=1000 (churn / retained) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  const warnings = [];
  for (const { row, name, keys } of ROWS) {
    const { small, large } = measureApart(name, keys);
    const ratio = large.ns / small.ns;
    const flag = ratio > 1.2 ? ' ⚠' : '';
    if (flag) warnings.push(`${row}: 1000 backends cost ${ratio.toFixed(2)}× 2 backends (timings are noisy: rerun to confirm)`);
    console.log(
      `| ${row} | ${small.ns.toFixed(1)} | ${large.ns.toFixed(1)} | ${ratio.toFixed(2)}${flag} | ${mb(small.churnMB)} / ${mb(small.retainedMB)} | ${mb(large.churnMB)} / ${mb(large.retainedMB)} |`,
    );
  }
  for (const w of warnings) console.log(`warning: ${w}`);
}
