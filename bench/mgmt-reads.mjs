#!/usr/bin/env node
/**
 * Management reads under load: does polling `/1/lb/stats` and `/metrics` slow
 * the proxied traffic down? golb on each runtime serves two functions: `fn`,
 * the bench upstream (nginx, as in run.mjs), and `big`, BACKENDS backends
 * (`10.a.b.c:8080`, never contacted: nothing is proxied to `big` and no health
 * check runs). wrk measures proxied p50 on `fn` alone, then with POLLERS
 * connections hammering the management reads in a loop (half on
 * `/1/lb/stats`, half on `/metrics`, each a `wrk -t1` of its own, started a
 * second before the measured run and stopped after it), alternately, ROUNDS
 * times, ending with a run alone. Each polled run's ratio is taken to the mean
 * of the runs alone just before and after it; the median is reported.
 *
 *   npm run bench:mgmt [-- --runtimes bun,node --backends 10000 --pollers 8 --duration 5 --rounds 2]
 *
 * `npm run bench` runs it too, after its extras, for the golb targets it
 * measured (`--mgmt 0` there skips it).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../scripts/free-port.mjs';
import { golbCommand } from './golb-command.mjs';
import { httpGet } from './http.mjs';
import { startProcess, stopProcess, waitReady } from './procs.mjs';
import { bracketedRatios, median } from './report.mjs';
import { BENCH_PATH, UPSTREAM_BODY } from './verify.mjs';
import { runWrk } from './wrk.mjs';
import { runSideBench } from './side-bench.mjs';

/** The management reads the pollers hammer, in turn. */
const POLLED = ['/1/lb/stats', '/metrics'];

/** The function with many backends. */
const BIG = 'big';

/** `backends` distinct addresses nobody listens on: 10.0.0.1:8080, 10.0.0.2:8080, … */
function bigAddresses(backends) {
  return Array.from({ length: backends }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 1}:8080`);
}

/** Bytes of each polled answer, read once before any timing (also checks they answer 200). */
async function answerSizes(port) {
  const sizes = {};
  for (const path of POLLED) {
    const res = await httpGet(port, path, {}, 60_000);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.slice(0, 200)}`);
    sizes[path] = Buffer.byteLength(res.body);
  }
  return sizes;
}

/** `connections` pollers split over {@link POLLED}, each path its own wrk; resolves their runs. */
function startPollers(port, connections, seconds, rawPrefix) {
  return POLLED.map((path, i) => {
    const c = Math.floor(connections / POLLED.length) + (i < connections % POLLED.length ? 1 : 0);
    if (c === 0) return Promise.resolve(undefined);
    const name = path.replace(/\W+/g, '_');
    return runWrk({ url: `http://127.0.0.1:${port}${path}`, connections: c, seconds, rawFile: `${rawPrefix}${name}.txt`, timeout: 30 }).then((run) => ({ path, ...run }));
  });
}

/**
 * One runtime's measurement: golb started with `fn` and {@link BIG}, its answer
 * sizes, then ROUNDS × (alone, polled) and a last run alone.
 * @returns {Promise<object>} a row of {@link mgmtReadsTable}
 */
export async function measureMgmtReads(runtime, { upstreamPort, opts, dir, rawDir, logDir }) {
  const [port] = await freePorts(1);
  const weights = join(dir, `mgmt-${runtime}.json`);
  const addresses = bigAddresses(opts.backends);
  writeFileSync(weights, JSON.stringify({ fn: { ips: [`127.0.0.1:${upstreamPort}`], weights: [1] }, [BIG]: { ips: addresses, weights: addresses.map(() => 1) } }));
  const [cmd, ...args] = golbCommand(runtime);
  const env = { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(port), eb_go_lb_weights_file: weights, eb_go_lb_mode: 'prod', eb_go_lb_node_name: 'bench', eb_go_lb_drain_timeout: '2s', NO_COLOR: '1' };
  const proc = startProcess(`golb-${runtime}-mgmt`, cmd, args, { cwd: dirname(dirname(fileURLToPath(import.meta.url))), env, log: join(logDir, `golb-${runtime}.mgmt.log`) });
  const name = `golb-${runtime}`;
  try {
    await waitReady(proc, port, '/readyz', 60_000);
    const check = await httpGet(port, BENCH_PATH);
    if (check.status !== 200 || check.body !== UPSTREAM_BODY) throw new Error(`${name}: GET ${BENCH_PATH} answered ${check.status} ${JSON.stringify(check.body.slice(0, 100))}`);
    const sizes = await answerSizes(port);
    const url = `http://127.0.0.1:${port}${BENCH_PATH}`;
    const wrk = (label, n) => runWrk({ url, connections: opts.connections, seconds: opts.duration, rawFile: join(rawDir, `${name}.mgmt-${label}.${n}.txt`) });
    await runWrk({ url, connections: opts.connections, seconds: opts.warmup, rawFile: join(rawDir, `${name}.mgmt-warm.txt`) });
    const timeline = [];
    const polls = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const alone = await wrk('alone', round);
      timeline.push({ name: 'alone', run: alone });
      const pollers = startPollers(port, opts.pollers, opts.duration + 2, join(rawDir, `${name}.mgmt-poll.${round}.`));
      await sleep(1000);
      const polled = await wrk('polled', round);
      polls.push(...(await Promise.all(pollers)).filter(Boolean));
      timeline.push({ name: 'polled', run: polled });
      console.log(`mgmt   ${name.padEnd(10)} round ${round}: p50 alone ${alone.p50.toFixed(2)} ms, polled ${polled.p50.toFixed(2)} ms (${Math.round(polled.rps)} req/s)`);
    }
    const last = await wrk('alone', opts.rounds + 1);
    timeline.push({ name: 'alone', run: last });
    const runs = (n) => timeline.filter((t) => t.name === n).map((t) => t.run);
    const ratios = bracketedRatios(timeline, (r) => r.p50, 'alone').get('polled') ?? [];
    const pollRate = (path) => median(polls.filter((p) => p.path === path).map((p) => p.rps));
    const errors = [...timeline.map((t) => t.run), ...polls].reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
    return {
      name,
      sizes,
      aloneP50: median(runs('alone').map((r) => r.p50)),
      polledP50: median(runs('polled').map((r) => r.p50)),
      polledP99: median(runs('polled').map((r) => r.p99)),
      aloneP99: median(runs('alone').map((r) => r.p99)),
      ratio: median(ratios),
      ratios,
      polls: Object.fromEntries(POLLED.map((p) => [p, pollRate(p)])),
      errors,
    };
  } finally {
    await stopProcess(proc);
  }
}

const fixed = (n, d) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const kb = (n) => `${Math.round(n / 1024).toLocaleString('en-US')} KB`;

/** What the table shows, above it in the report. */
export function mgmtReadsNote(opts) {
  return [
    '## Management reads under load',
    '',
    `golb with one function of ${opts.backends.toLocaleString('en-US')} backends besides the proxied one; wrk -t1 -c${opts.connections} -d${opts.duration}s on the proxied URL alone,`,
    `then while ${opts.pollers} connections poll ${POLLED.join(' and ')} in a loop (one wrk each, half the connections each), ${opts.rounds} rounds;`,
    'ratio: each polled run\'s p50 over the mean p50 of the runs alone around it, median over the rounds (target: at most 2).',
  ].join('\n');
}

/** The markdown table of {@link measureMgmtReads}' rows. */
export function mgmtReadsTable(rows) {
  const head = ['target', ...POLLED.map((p) => `${p} size`), 'p50 alone ms', 'p50 polled ms', 'p50 ratio', 'ratio per round', 'p99 alone ms', 'p99 polled ms', ...POLLED.map((p) => `${p} polls/s`), 'errors'];
  const lines = [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '---:').join('|')}|`];
  for (const r of rows) {
    if (r.error !== undefined) {
      lines.push(`| ${r.name} | FAILED: ${r.error} |`);
      continue;
    }
    const cells = [r.name, ...POLLED.map((p) => kb(r.sizes[p])), fixed(r.aloneP50, 2), fixed(r.polledP50, 2), fixed(r.ratio, 2), r.ratios.map((x) => fixed(x, 2)).join(' '), fixed(r.aloneP99, 2), fixed(r.polledP99, 2), ...POLLED.map((p) => fixed(r.polls[p], 0)), String(r.errors)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runSideBench({
    name: 'bench:mgmt',
    argv: process.argv.slice(2),
    defaults: { runtimes: 'bun,deno,node', backends: 10_000, pollers: 8, connections: 50, duration: 5, warmup: 3, rounds: 2 },
    measure: measureMgmtReads,
    report: (rows, opts) => `${mgmtReadsNote(opts)}\n\n${mgmtReadsTable(rows)}`,
    resultFile: 'mgmt-reads.md',
  });
}
