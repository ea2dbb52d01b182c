#!/usr/bin/env node
/**
 * What the trace stream costs the proxy: golb's CPU per proxied request (µs,
 * from /proc: its process tree's utime + stime over the run, divided by the
 * requests wrk completed) and its throughput, with no trace reader, with a
 * reader that reads every line (`GET /1/lb/traces`, all requests, unsampled),
 * and with a reader that stopped reading (its socket paused: its queue fills,
 * then every line is dropped and counted). wrk -t1 drives the proxied URL of
 * the bench upstream (nginx, as in run.mjs). That golb writes a load report
 * every second; a second golb with load reports off runs the same load with no
 * reader (`unreported`), so one run also shows what reporting costs. The cases
 * take turns, ROUNDS times, and the median of each is reported with the lines
 * the stalled reader lost (`golb_trace_lines_dropped_total`).
 *
 *   npm run bench:traces [-- --runtimes bun,node --connections 50 --duration 5 --rounds 3]
 *
 * Expect: no reader costs the same as before the stream existed (one field
 * read per request); a reading reader adds the line (an object, JSON) and its
 * share of the batched writes; a stalled reader adds the line and no write.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../scripts/free-port.mjs';
import { treeCpuSeconds } from './cpu.mjs';
import { golbCommand } from './golb-command.mjs';
import { httpGet } from './http.mjs';
import { startProcess, stopProcess, waitReady } from './procs.mjs';
import { median } from './report.mjs';
import { BENCH_PATH, UPSTREAM_BODY } from './verify.mjs';
import { runWrk } from './wrk.mjs';
import { runSideBench } from './side-bench.mjs';

/**
 * The cases, in the order each round runs them. The first three run on a golb
 * writing a load report every second (the shortest interval: the worst case);
 * `unreported` on a second golb with load reports off, no reader: the two
 * `none`/`unreported` rows are what reporting costs.
 */
const CASES = ['none', 'reading', 'stalled', 'unreported'];

/**
 * Opens a trace reader on `port`; `stalled` pauses its socket after the first
 * line, so golb's writes back up and its queue fills. Resolves `{ lines, close }`.
 */
function openReader(port, stalled) {
  return new Promise((resolve, reject) => {
    let lines = 0;
    const req = request({ host: '127.0.0.1', port, path: '/1/lb/traces', agent: false }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET /1/lb/traces: ${res.statusCode}`));
      res.on('data', (chunk) => {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
        if (stalled) res.pause();
        resolve({ lines: () => lines, close: () => req.destroy() });
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `golb_trace_lines_dropped_total` now (a scrape may be a second old). */
async function droppedTotal(port) {
  const res = await httpGet(port, '/metrics');
  const m = /^golb_trace_lines_dropped_total (\d+)$/m.exec(res.body);
  return m === null ? Number.NaN : Number(m[1]);
}

/** One runtime: golb started, a warm-up, then ROUNDS × the three cases. */
export async function measureTraces(runtime, { upstreamPort, opts, dir, rawDir, logDir }) {
  const [port, quietPort] = await freePorts(2);
  const weights = join(dir, `traces-${runtime}.json`);
  writeFileSync(weights, JSON.stringify({ fn: { ips: [`127.0.0.1:${upstreamPort}`], weights: [1] } }));
  const [cmd, ...args] = golbCommand(runtime);
  const cwd = dirname(dirname(fileURLToPath(import.meta.url)));
  const env = (listenPort, reportInterval) => ({ eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(listenPort), eb_go_lb_weights_file: weights, eb_go_lb_mode: 'prod', eb_go_lb_node_name: 'bench', eb_go_lb_drain_timeout: '2s', eb_go_lb_load_report_interval: reportInterval, NO_COLOR: '1' });
  const proc = startProcess(`golb-${runtime}-traces`, cmd, args, { cwd, env: env(port, '1s'), log: join(logDir, `golb-${runtime}.traces.log`) });
  const quiet = startProcess(`golb-${runtime}-unreported`, cmd, args, { cwd, env: env(quietPort, '0'), log: join(logDir, `golb-${runtime}.unreported.log`) });
  const name = `golb-${runtime}`;
  try {
    for (const [p, label] of [[port, name], [quietPort, `${name} (reports off)`]]) {
      await waitReady(p === port ? proc : quiet, p, '/readyz', 60_000);
      const check = await httpGet(p, BENCH_PATH);
      if (check.status !== 200 || check.body !== UPSTREAM_BODY) throw new Error(`${label}: GET ${BENCH_PATH} answered ${check.status} ${JSON.stringify(check.body.slice(0, 100))}`);
    }
    const url = `http://127.0.0.1:${port}${BENCH_PATH}`;
    const quietUrl = `http://127.0.0.1:${quietPort}${BENCH_PATH}`;
    await runWrk({ url, connections: opts.connections, seconds: opts.warmup, rawFile: join(rawDir, `${name}.traces-warm.txt`) });
    await runWrk({ url: quietUrl, connections: opts.connections, seconds: opts.warmup, rawFile: join(rawDir, `${name}.unreported-warm.txt`) });
    const runs = Object.fromEntries(CASES.map((c) => [c, []]));
    for (let round = 1; round <= opts.rounds; round++) {
      for (const kase of CASES) {
        const reader = kase === 'none' ? undefined : await openReader(port, kase === 'stalled');
        // Let a stalled reader's socket buffers fill before the timed run.
        if (kase === 'stalled') await runWrk({ url, connections: opts.connections, seconds: 1, rawFile: join(rawDir, `${name}.traces-fill.${round}.txt`) });
        const target = kase === 'unreported' ? quiet : proc;
        const targetPort = kase === 'unreported' ? quietPort : port;
        const droppedBefore = await droppedTotal(targetPort);
        const cpuBefore = treeCpuSeconds(target.pid);
        const run = await runWrk({ url: kase === 'unreported' ? quietUrl : url, connections: opts.connections, seconds: opts.duration, rawFile: join(rawDir, `${name}.traces-${kase}.${round}.txt`) });
        const cpu = treeCpuSeconds(target.pid) - cpuBefore;
        await sleep(1100); // the next scrape is a new one
        const dropped = (await droppedTotal(targetPort)) - droppedBefore;
        reader?.close();
        const row = { rps: run.rps, cpuUsPerRequest: (cpu * 1e6) / run.requests, p50: run.p50, dropped, errors: run.non2xx + run.socketErrors, lines: reader?.lines() ?? 0 };
        runs[kase].push(row);
        console.log(`traces ${name.padEnd(10)} round ${round} ${kase.padEnd(10)}: ${Math.round(row.rps)} req/s, ${row.cpuUsPerRequest.toFixed(1)} µs CPU/request, p50 ${row.p50.toFixed(2)} ms, lines dropped ${dropped}`);
        await sleep(500);
      }
    }
    const pick = (kase, key) => median(runs[kase].map((r) => r[key]));
    return {
      name,
      cases: Object.fromEntries(CASES.map((c) => [c, { rps: pick(c, 'rps'), cpu: pick(c, 'cpuUsPerRequest'), p50: pick(c, 'p50'), dropped: pick(c, 'dropped') }])),
      errors: CASES.reduce((n, c) => n + runs[c].reduce((m, r) => m + r.errors, 0), 0),
    };
  } finally {
    await stopProcess(proc);
    await stopProcess(quiet);
  }
}

const fixed = (n, d) => (Number.isFinite(n) ? n.toFixed(d) : '—');

/** The markdown report of {@link measureTraces}' rows. */
export function tracesReport(rows, opts) {
  const head = ['target', ...CASES.flatMap((c) => [`${c} µs CPU/req`, `${c} req/s`]), 'reading / none CPU', 'stalled / none CPU', 'none (reports every 1 s) / unreported CPU', 'stalled: lines dropped per run', 'errors'];
  const lines = [
    '## The trace stream\'s cost',
    '',
    `golb's CPU per proxied request (its process tree, /proc) and throughput, wrk -t1 -c${opts.connections} -d${opts.duration}s, median of ${opts.rounds} rounds:`,
    'no reader; a reader reading every line of /1/lb/traces; a reader whose socket is paused (its lines dropped once its queue is full); all three on a golb writing a load report every second; unreported: a second golb with load reports off, no reader.',
    '',
    `| ${head.join(' | ')} |`,
    `|---|${head.slice(1).map(() => '---:').join('|')}|`,
  ];
  for (const r of rows) {
    if (r.error !== undefined) {
      lines.push(`| ${r.name} | FAILED: ${r.error} |`);
      continue;
    }
    const c = r.cases;
    const cells = [r.name, ...CASES.flatMap((k) => [fixed(c[k].cpu, 1), fixed(c[k].rps, 0)]), fixed(c.reading.cpu / c.none.cpu, 2), fixed(c.stalled.cpu / c.none.cpu, 2), fixed(c.none.cpu / c.unreported.cpu, 2), fixed(c.stalled.dropped, 0), String(r.errors)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runSideBench({
    name: 'bench:traces',
    argv: process.argv.slice(2),
    defaults: { runtimes: 'bun,deno,node', connections: 50, duration: 5, warmup: 3, rounds: 3 },
    measure: measureTraces,
    report: tracesReport,
    resultFile: 'traces.md',
  });
}
