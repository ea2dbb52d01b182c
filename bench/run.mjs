#!/usr/bin/env node
/**
 * `npm run bench`: golb on Bun, Deno and Node against nginx and HAProxy as
 * reverse proxies, all in front of the same nginx upstream, loaded in turn by
 * the same wrk command (research/perf-anchors.md describes the method and the
 * reference numbers on this machine).
 *
 *   1. install nginx, haproxy and wrk from Debian when missing;
 *   2. start the upstream and every target on free loopback ports, with their
 *      files in a temporary directory;
 *   3. check that each answers the bench URL with the upstream's exact body and
 *      that the upstream receives the rewritten path (nothing is timed if not);
 *   4. warm each target, then run ROUNDS rounds, each target once per round,
 *      the starting target rotating so no target always follows the same one;
 *   5. print the medians as a markdown table, also written to
 *      bench/results/latest.md (raw wrk output in bench/results/raw/, target
 *      output in bench/results/logs/).
 *
 * Every process started is stopped at the end, on Ctrl-C and on errors.
 * golb gets the environment of the bench, so `eb_go_lb_*` variables other than
 * the ones the bench sets (listen address, weights file, mode, node name,
 * drain timeout) reach it. Settings: ROUNDS, DURATION (s), CONNECTIONS, WARMUP (s), TARGETS (comma
 * list) from the environment, or the same as flags: --rounds 1, --targets=nginx,golb-bun.
 * @module
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { machineBusySeconds, selfCpuSeconds, treeCpuSeconds } from './cpu.mjs';
import { logTail, stopAll, stopAllOnExit } from './procs.mjs';
import { golbLogProblems, renderReport, summarize } from './report.mjs';
import { ensureTools, startTargets, TARGET_NAMES, versions } from './targets.mjs';
import { BENCH_PATH, verifyTargets } from './verify.mjs';
import { runWrk } from './wrk.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

const USAGE = `Usage: npm run bench [-- flags]   (or node bench/run.mjs [flags])
  --rounds <n>        ROUNDS       rounds, each target once per round (default 3)
  --duration <s>      DURATION     seconds of each measured wrk run (default 5)
  --connections <n>   CONNECTIONS  wrk connections, one wrk thread (default 50)
  --warmup <s>        WARMUP       seconds of the warm-up run per target (default 2)
  --targets <list>    TARGETS      comma list of ${TARGET_NAMES.join(', ')} (default all)`;

/** The settings from the environment, overridden by flags. */
function readOptions(argv, env) {
  const raw = { rounds: env.ROUNDS, duration: env.DURATION, connections: env.CONNECTIONS, warmup: env.WARMUP, targets: env.TARGETS };
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
  const targets = raw.targets ? raw.targets.split(',').map((s) => s.trim()).filter(Boolean) : TARGET_NAMES;
  const unknown = targets.filter((t) => !TARGET_NAMES.includes(t));
  if (unknown.length > 0 || targets.length === 0) throw new Error(`targets: unknown ${JSON.stringify(unknown)}; choose from ${TARGET_NAMES.join(', ')}`);
  return {
    rounds: positive('rounds', raw.rounds, 3),
    duration: positive('duration', raw.duration, 5),
    connections: positive('connections', raw.connections, 50),
    warmup: positive('warmup', raw.warmup, 2),
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

async function main() {
  const opts = readOptions(process.argv.slice(2), process.env);
  if (opts === undefined) {
    console.log(USAGE);
    return;
  }
  const { rounds, duration, connections, warmup, targets: names } = opts;
  const perRun = duration + 0.5;
  const estimate = Math.round(names.length * (warmup + 0.5 + rounds * perRun) + 10);
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
    const { upstream, targets } = await startTargets({ root, benchDir, tmp, logDir, selected: names });
    console.log(`started: ${targets.map((t) => `${t.name} :${t.port}`).join(', ')}`);
    await verifyTargets(targets);
    console.log(`verified: every target answers ${BENCH_PATH} with the upstream's body, and the upstream receives the rewritten path`);

    const results = new Map(targets.map((t) => [t.name, { runs: [], died: undefined }]));
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
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        if (!alive(t)) continue;
        const run = await measure(t, upstream, opts, duration, join(rawDir, `${t.name}.r${round + 1}.txt`));
        results.get(t.name).runs.push(run);
        const errors = run.non2xx + run.socketErrors > 0 ? `  errors: ${run.non2xx} non-2xx, ${run.socketErrors} socket` : '';
        console.log(`round ${round + 1}/${rounds}  ${t.name.padEnd(10)} ${Math.round(run.rps).toString().padStart(7)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ${run.cpuUsPerReq.toFixed(1)} µs/req  others ${Math.round(run.othersShare * 100)}%${errors}`);
      }
    }
    for (const t of targets) alive(t);

    const notes = targets
      .filter((t) => t.name.startsWith('golb-'))
      .flatMap((t) => golbLogProblems(t.proc.log).map((p) => `- ${t.name}: ${p}`));
    const report = renderReport({ rows: summarize(names, results), notes, opts, busyBefore: busy, versions: versions(root) });
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
