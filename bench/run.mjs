#!/usr/bin/env node
/**
 * `npm run bench`: golb on Bun, Deno and Node against nginx and HAProxy as
 * reverse proxies, all in front of the same nginx upstream, loaded in turn by
 * the same wrk command (docs/performance.md describes the method and has the
 * latest results).
 *
 *   1. install nginx, haproxy and wrk from Debian when missing;
 *   2. start the upstream and every target on free loopback ports, with their
 *      files in a temporary directory;
 *   3. check that each answers the bench URL with the upstream's exact body and
 *      that the upstream receives the rewritten path (nothing is timed if not);
 *   4. warm each target, then run ROUNDS rounds: in each, nginx runs before
 *      and after every other target, and each target's ratio to nginx is
 *      taken to those two runs (report.mjs, `roundOrder`);
 *   5. then, per target: golb's idle memory (taken right after the start),
 *      its memory while STREAM_MIB MiB stream down and up through it, and
 *      one wrk run with WIDE connections (extras.mjs);
 *   6. then, per golb runtime: proxied p50 alone and while pollers hammer
 *      the management reads, with one function of 10,000 backends
 *      (mgmt-reads.mjs, also `npm run bench:mgmt` on its own);
 *   7. print the medians as a markdown table, also written to
 *      bench/results/latest.md (raw wrk output in bench/results/raw/, target
 *      output in bench/results/logs/).
 *
 * Every process started is stopped at the end, on Ctrl-C and on errors.
 * golb gets the environment of the bench, so `eb_go_lb_*` variables other than
 * the ones the bench sets (listen address, weights file, mode, node name,
 * drain timeout) reach it. Settings: ROUNDS, DURATION (s), CONNECTIONS, WARMUP (s), TARGETS (comma
 * list), STREAM_MIB, WIDE, MGMT from the environment, or the same as flags: --rounds 1, --targets=nginx,golb-bun.
 * @module
 */
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { machineBusySeconds, selfCpuSeconds, treeCpuSeconds } from './cpu.mjs';
import { logTail, stopAll, stopAllOnExit } from './procs.mjs';
import { golbLogProblems, renderReport, roundOrder, summarize } from './report.mjs';
import { extrasTable, startSink, streamMemory, treeRssBytes } from './extras.mjs';
import { measureMgmtReads, mgmtReadsNote, mgmtReadsTable } from './mgmt-reads.mjs';
import { ensureTools, FUNCTION, SINK_FUNCTION, startTargets, TARGET_NAMES, versions } from './targets.mjs';
import { BENCH_PATH, verifyTargets } from './verify.mjs';
import { runWrk } from './wrk.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

const USAGE = `Usage: npm run bench [-- flags]   (or node bench/run.mjs [flags])
  --rounds <n>        ROUNDS       rounds: each target once per round, between two nginx runs (default 5)
  --duration <s>      DURATION     seconds of each measured wrk run (default 5)
  --connections <n>   CONNECTIONS  wrk connections, one wrk thread (default 50)
  --warmup <s>        WARMUP       seconds of the warm-up run per target (default 5)
  --targets <list>    TARGETS      comma list of ${TARGET_NAMES.join(', ')} (default all)
  --stream <MiB>      STREAM_MIB   MiB streamed down and up through each golb for its memory growth (default 1024; 0: skip)
  --wide <n>          WIDE         connections of the wide wrk run per target (default 1000; 0: skip)
  --mgmt <n>          MGMT         rounds of the management-reads case per golb target (default 2; 0: skip)`;

/** The settings from the environment, overridden by flags. */
function readOptions(argv, env) {
  const raw = { rounds: env.ROUNDS, duration: env.DURATION, connections: env.CONNECTIONS, warmup: env.WARMUP, targets: env.TARGETS, stream: env.STREAM_MIB, wide: env.WIDE, mgmt: env.MGMT };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (m === null || !(m[1] in raw)) {
      if (m?.[1] === 'help' || m?.[1] === 'h') return undefined;
      throw new Error(`unknown argument ${JSON.stringify(argv[i])}\n${USAGE}`);
    }
    raw[m[1]] = m[2] ?? argv[++i];
  }
  const positive = (name, value, dflt) => {
    if (value === undefined || value === '') return dflt;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a whole number of 1 or more, got ${JSON.stringify(value)}`);
    return n;
  };
  const count = (name, value, dflt) => (value === '0' ? 0 : positive(name, value, dflt));
  const targets = raw.targets ? raw.targets.split(',').map((s) => s.trim()).filter(Boolean) : TARGET_NAMES;
  const unknown = targets.filter((t) => !TARGET_NAMES.includes(t));
  if (unknown.length > 0 || targets.length === 0) throw new Error(`targets: unknown ${JSON.stringify(unknown)}; choose from ${TARGET_NAMES.join(', ')}`);
  return {
    rounds: positive('rounds', raw.rounds, 5),
    duration: positive('duration', raw.duration, 5),
    connections: positive('connections', raw.connections, 50),
    warmup: positive('warmup', raw.warmup, 5),
    streamBytes: count('stream', raw.stream, 1024) * 1024 * 1024,
    wide: count('wide', raw.wide, 1000),
    mgmt: count('mgmt', raw.mgmt, 2),
    // Measured in the canonical order, whatever order they were named in.
    targets: TARGET_NAMES.filter((t) => targets.includes(t)),
  };
}

/**
 * One wrk run against a target, with the CPU its process tree used meanwhile
 * and the CPU used by everything else on the machine: neither the target,
 * the upstream, wrk nor the bench itself. The machine has 2 cores and the
 * three main processes want about one each, so any other load shows up
 * directly in the numbers.
 */
async function measure(target, upstream, opts, seconds, rawFile) {
  const sample = () => ({
    target: treeCpuSeconds(target.proc.pid),
    upstream: target === upstream ? 0 : treeCpuSeconds(upstream.proc.pid),
    self: selfCpuSeconds(),
    machine: machineBusySeconds(),
  });
  const before = sample();
  const start = process.hrtime.bigint();
  const run = await runWrk({ url: `http://127.0.0.1:${target.port}${BENCH_PATH}`, connections: opts.connections, seconds, rawFile });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const after = sample();
  const used = Object.fromEntries(Object.keys(before).map((k) => [k, after[k] - before[k]]));
  const others = Math.max(0, used.machine - used.target - used.upstream - used.self);
  return { ...run, cpuUsPerReq: (used.target * 1e6) / run.requests, cpuShare: used.target / wall, othersShare: others / wall };
}

/**
 * How long a response of the wide run may take before wrk counts a timeout:
 * with 1,000 connections on one core a slow target's tail passes wrk's 2 s
 * default without anything failing; p99 shows how slow.
 */
const WIDE_TIMEOUT_S = 30;

/** What the extras table shows, above it in the report. */
const EXTRAS_NOTE = (opts) =>
  [
    '## Memory and many connections',
    '',
    "idle RSS: resident memory of the target's process tree right after it became ready, before any load.",
    `down/up: ${opts.streamBytes / 2 ** 20} MiB downloaded through golb (the upstream sends a file) and uploaded through it (to a sink that counts the bytes),`,
    'one request each on a fresh connection; RSS sampled every 50 ms; growth = peak − RSS just before.',
    `-c${opts.wide}: one wrk -t1 -c${opts.wide} -d${Math.min(opts.duration, 5)}s --timeout ${WIDE_TIMEOUT_S}s run on the bench URL after the rounds; errors (non-2xx, socket errors, responses over ${WIDE_TIMEOUT_S} s) must be 0.`,
  ].join('\n');

/** Memory while streaming (golb only) and one wide wrk run per target; the rows of the extras table. */
async function measureExtras(targets, opts, { idleRss, sinkPort, rawDir, alive }) {
  const rows = [];
  if (opts.streamBytes === 0 && opts.wide === 0) return rows;
  const sink = opts.streamBytes > 0 ? await startSink(sinkPort) : undefined;
  try {
    for (const t of targets) {
      if (t.direct || !alive(t)) continue;
      const row = { name: t.name, idleRss: idleRss.get(t.name) };
      if (opts.streamBytes > 0 && t.name.startsWith('golb-')) {
        row.stream = await streamMemory(t, opts.streamBytes, `/function/${FUNCTION}/big`, `/function/${SINK_FUNCTION}/`);
        const s = row.stream;
        const show = (x) => `${(x.before / 2 ** 20).toFixed(1)} → ${(x.peak / 2 ** 20).toFixed(1)} MB${x.ok ? '' : ` FAILED (${x.detail})`}`;
        console.log(`stream ${t.name.padEnd(10)} down ${show(s.down)}, up ${show(s.up)}`);
      }
      if (opts.wide > 0 && alive(t)) {
        const seconds = Math.min(opts.duration, 5);
        row.wide = await runWrk({ url: `http://127.0.0.1:${t.port}${BENCH_PATH}`, connections: opts.wide, seconds, rawFile: join(rawDir, `${t.name}.wide.txt`), timeout: WIDE_TIMEOUT_S }).catch((err) => ({ error: err.message.split('\n')[0] }));
        const w = row.wide;
        console.log(`wide   ${t.name.padEnd(10)} -c${opts.wide}: ${w.error ?? `${Math.round(w.rps)} req/s, p99 ${w.p99.toFixed(0)} ms, ${w.non2xx} non-2xx, ${w.socketErrors} socket errors`}`);
      }
      rows.push(row);
    }
  } finally {
    await sink?.close();
  }
  return rows;
}

/**
 * The management-reads case (mgmt-reads.mjs) on each golb runtime measured, with
 * its own golb; the others stay idle meanwhile. `{ opts, rows }`, or undefined when skipped.
 */
async function measureMgmt(targets, opts, where) {
  if (opts.mgmt === 0) return undefined;
  const runtimes = targets.filter((t) => t.name.startsWith('golb-')).map((t) => t.name.slice('golb-'.length));
  if (runtimes.length === 0) return undefined;
  const mgmtOpts = { backends: 10_000, pollers: 8, connections: opts.connections, duration: opts.duration, warmup: 3, rounds: opts.mgmt };
  const rows = [];
  for (const runtime of runtimes) {
    rows.push(await measureMgmtReads(runtime, { ...where, opts: mgmtOpts }).catch((err) => ({ name: `golb-${runtime}`, error: err.message.split('\n')[0] })));
  }
  return { opts: mgmtOpts, rows };
}

async function main() {
  const opts = readOptions(process.argv.slice(2), process.env);
  if (opts === undefined) {
    console.log(USAGE);
    return;
  }
  const { rounds, duration, connections, warmup, targets: names } = opts;
  const perRun = duration + 0.5;
  const estimate = Math.round(names.length * (warmup + 0.5) + rounds * roundOrder(names, 0).length * perRun + 10);
  console.log(`bench: ${names.join(', ')}; ${rounds} rounds of wrk -t1 -c${connections} -d${duration}s --latency (about ${estimate} s)`);

  ensureTools();
  const idleBefore = machineBusySeconds();
  await sleep(1000);
  const busy = machineBusySeconds() - idleBefore;
  console.log(`machine busy before start: ${Math.round(busy * 100)}% of one core${busy > 0.1 ? ' (other work is running: numbers will be noisy)' : ''}`);
  const resultsDir = join(benchDir, 'results');
  const logDir = join(resultsDir, 'logs');
  const rawDir = join(resultsDir, 'raw');
  for (const d of [logDir, rawDir]) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'golb-bench-'));
  // nginx's workers run as nobody and must be able to reach their temp paths.
  chmodSync(tmp, 0o755);
  stopAllOnExit();
  // Also on Ctrl-C, which exits from the signal handler without reaching `finally`.
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

  try {
    // The large download: a sparse file, so nothing is written to disk.
    const big = openSync(join(tmp, 'big.bin'), 'w');
    ftruncateSync(big, Math.max(1, opts.streamBytes));
    closeSync(big);
    const { upstream, targets, sinkPort } = await startTargets({ root, benchDir, tmp, logDir, selected: names });
    console.log(`started: ${targets.map((t) => `${t.name} :${t.port}`).join(', ')}`);
    // Memory at rest: right after the start, before any request but readiness.
    const idleRss = new Map(targets.filter((t) => t.name.startsWith('golb-')).map((t) => [t.name, treeRssBytes(t.proc.pid)]));
    await verifyTargets(targets);
    console.log(`verified: every target answers ${BENCH_PATH} with the upstream's body, and the upstream receives the rewritten path`);

    const results = new Map(targets.map((t) => [t.name, { runs: [], died: undefined }]));
    /** Every measured run in the order it ran: the ratios pair each with the nginx runs around it. */
    const timeline = [];
    const byName = new Map(targets.map((t) => [t.name, t]));
    const alive = (t) => {
      const r = results.get(t.name);
      if (r.died === undefined && t.proc.exited !== undefined) {
        r.died = String(t.proc.exited);
        console.log(`  ${t.name} DIED (${t.proc.exited}); its last output (${t.proc.log}):\n${logTail(t.proc)}`);
      }
      return r.died === undefined;
    };

    console.log(`warm-up: ${warmup} s each`);
    for (const t of targets) if (alive(t)) await runWrk({ url: `http://127.0.0.1:${t.port}${BENCH_PATH}`, connections, seconds: warmup, rawFile: join(rawDir, `${t.name}.warm.txt`) });

    for (let round = 0; round < rounds; round++) {
      const order = roundOrder(names, round).map((n) => byName.get(n));
      for (const t of order) {
        if (!alive(t)) continue;
        const runs = results.get(t.name).runs;
        const run = await measure(t, upstream, opts, duration, join(rawDir, `${t.name}.${runs.length + 1}.txt`));
        runs.push(run);
        timeline.push({ name: t.name, run });
        const errors = run.non2xx + run.socketErrors > 0 ? `  errors: ${run.non2xx} non-2xx, ${run.socketErrors} socket` : '';
        console.log(`round ${round + 1}/${rounds}  ${t.name.padEnd(10)} ${Math.round(run.rps).toString().padStart(7)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ${run.cpuUsPerReq.toFixed(1)} µs/req  others ${Math.round(run.othersShare * 100)}%${errors}`);
      }
    }
    for (const t of targets) alive(t);

    const extras = await measureExtras(targets, opts, { idleRss, sinkPort, rawDir, alive });
    const mgmt = await measureMgmt(targets, opts, { upstreamPort: upstream.port, dir: tmp, rawDir, logDir });

    const notes = targets
      .filter((t) => t.name.startsWith('golb-'))
      .flatMap((t) => golbLogProblems(t.proc.log).map((p) => `- ${t.name}: ${p}`));
    let report = renderReport({ rows: summarize(names, results, timeline), notes, opts, busyBefore: busy, versions: versions(root) });
    if (extras.length > 0) {
      const at = report.indexOf('\n```');
      report = `${report.slice(0, at)}\n${EXTRAS_NOTE(opts)}\n\n${extrasTable(extras, { bytes: opts.streamBytes, wide: opts.wide })}\n${report.slice(at)}`;
    }
    if (mgmt !== undefined) {
      const at = report.indexOf('\n```');
      report = `${report.slice(0, at)}\n${mgmtReadsNote(mgmt.opts)}\n\n${mgmtReadsTable(mgmt.rows)}\n${report.slice(at)}`;
    }
    console.log(`\n${report}`);
    writeFileSync(join(resultsDir, 'latest.md'), report);
    console.log(`written: bench/results/latest.md (raw wrk output: bench/results/raw/, target output: bench/results/logs/)`);
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  await stopAll();
  process.exit(1);
});
