/**
 * From the runs of each target to the markdown table the bench prints:
 * medians over the rounds, the ratios of req/s and p99 to the nginx runs
 * around each run, error sums, CPU per request, and every run's req/s and
 * ratio so the noise is visible.
 * @module
 */
import { readFileSync } from 'node:fs';
import { BENCH_PATH } from './verify.mjs';

/** The median of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** Socket errors summed over runs, e.g. `0` or `12 (read 10, timeout 2)`. */
function socketErrors(runs) {
  const sum = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const r of runs) for (const k of Object.keys(sum)) sum[k] += r.socket[k];
  const total = Object.values(sum).reduce((a, b) => a + b, 0);
  if (total === 0) return '0';
  return `${total} (${Object.entries(sum).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

/**
 * The order of one round's runs. With nginx among the targets every other
 * target runs between two nginx runs (`nginx, a, nginx, b, …, nginx`), so each
 * has a reference measured seconds before and after it: on this shared
 * machine the speed of everything drifts by 10–20 % over a minute, and a
 * ratio to runs that far apart (the targets in turn, each once per round)
 * carried that drift. The other targets rotate by one per round so none
 * always follows the same one.
 * @param {string[]} names the targets, in canonical order
 * @param {number} round 0-based
 */
export function roundOrder(names, round) {
  const others = names.filter((n) => n !== 'nginx');
  const rotated = others.map((_, i) => others[(i + round) % others.length]);
  if (!names.includes('nginx')) return rotated;
  return [...rotated.flatMap((n) => ['nginx', n]), 'nginx'];
}

/**
 * Each run's ratio to nginx: its value over the mean of the nginx runs just
 * before and after it in `timeline` (one of them when the other is missing).
 * @param {{ name: string, run: object }[]} timeline every run, in the order run
 * @param {(run: object) => number} value what is compared (req/s, p99)
 * @param {string} [reference] the runs the others are compared to (`nginx`; mgmt-reads.mjs: the runs without pollers)
 * @returns {Map<string, number[]>} per target name, its runs' ratios in order
 */
export function bracketedRatios(timeline, value, reference = 'nginx') {
  const ratios = new Map();
  const nginxAt = timeline.flatMap((t, i) => (t.name === reference ? [i] : []));
  timeline.forEach((t, i) => {
    if (t.name === reference || nginxAt.length === 0) return;
    const before = nginxAt.filter((j) => j < i).at(-1);
    const after = nginxAt.find((j) => j > i);
    const refs = [before, after].filter((j) => j !== undefined).map((j) => value(timeline[j].run));
    const ref = refs.reduce((a, b) => a + b, 0) / refs.length;
    if (!ratios.has(t.name)) ratios.set(t.name, []);
    ratios.get(t.name).push(value(t.run) / ref);
  });
  return ratios;
}

/**
 * One row per target: `results` maps a target name to `{ runs, died }`, each
 * run `{ rps, p50, p99, non2xx, socket, cpuUsPerReq, cpuShare, othersShare }`;
 * `timeline` lists every run in the order it ran ({@link bracketedRatios}).
 * The ratios to nginx are medians of the per-run ratios.
 */
export function summarize(names, results, timeline) {
  const rpsRatios = bracketedRatios(timeline, (r) => r.rps);
  const p99Ratios = bracketedRatios(timeline, (r) => r.p99);
  return names.map((name) => {
    const { runs, died } = results.get(name);
    const own = name === 'nginx' ? runs.map(() => 1) : undefined;
    const ratios = own ?? rpsRatios.get(name) ?? [];
    return {
      name,
      died,
      rps: median(runs.map((r) => r.rps)),
      ratio: median(ratios),
      ratios: ratios.map((x) => fixed(x, 2)).join(', '),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      p99Ratio: median(own ?? p99Ratios.get(name) ?? []),
      non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
      socket: socketErrors(runs),
      cpuUs: median(runs.map((r) => r.cpuUsPerReq)),
      cpuShare: median(runs.map((r) => r.cpuShare)),
      othersShare: median(runs.map((r) => r.othersShare)),
      rounds: runs.map((r) => int(r.rps)).join(', '),
    };
  });
}

/** The markdown table of {@link summarize}'s rows. */
export function markdownTable(rows) {
  const head = ['target', 'req/s', 'vs nginx', 'p50 ms', 'p99 ms', 'p99 vs nginx', 'non-2xx', 'socket errors', 'CPU µs/req', 'CPU %', 'others %', 'req/s per run', 'vs nginx per run'];
  const align = ['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---'];
  const lines = [`| ${head.join(' | ')} |`, `|${align.join('|')}|`];
  for (const r of rows) {
    const name = r.died === undefined ? r.name : `${r.name} (DIED: ${r.died})`;
    const cells = [name, int(r.rps), fixed(r.ratio, 2), fixed(r.p50, 2), fixed(r.p99, 2), fixed(r.p99Ratio, 2), int(r.non2xx), r.socket, fixed(r.cpuUs, 1), int(r.cpuShare * 100), int(r.othersShare * 100), r.rounds, r.ratios];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * golb's warn and error log lines (prod mode writes JSON lines), counted by
 * message and level: a healthy run has none.
 */
export function golbLogProblems(logFile) {
  let text;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let key;
    try {
      const entry = JSON.parse(line);
      if (entry.level !== 'warn' && entry.level !== 'error') continue;
      const detail = [entry.failure, entry.reason].filter(Boolean).join(': ');
      key = `${entry.level} "${entry.msg}"${detail ? ` (${detail})` : ''}`;
    } catch {
      key = `non-JSON output: ${line.slice(0, 160)}`;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n} × ${key}`);
}

/**
 * The whole report, as printed and written to bench/results/latest.md:
 * method, table, golb's logged problems (`notes`) and versions.
 */
export function renderReport({ rows, notes, opts, busyBefore, versions }) {
  const { connections, duration, rounds } = opts;
  const aborts = notes.some((n) => n.includes('client went away'))
    ? ['', '"client went away": wrk stops with up to one request in flight per connection; golb logs each as it ends.']
    : [];
  return [
    `# golb bench — ${new Date().toISOString()}`,
    '',
    `\`wrk -t1 -c${connections} -d${duration}s --latency http://127.0.0.1:PORT${BENCH_PATH}\`, ${rounds} rounds, medians;`,
    'each round runs nginx before and after every other target (nginx, a, nginx, b, …, nginx);',
    '"vs nginx" and "p99 vs nginx": the median over the rounds of each run\'s req/s (p99) over the mean of the two nginx runs around it.',
    'upstream: nginx (1 worker) answering `hello from backend\\n`; "upstream" is wrk straight at it.',
    "CPU µs/req and CPU %: utime+stime of the target's process tree during each run (median); CPU % is of one core.",
    '"others %": CPU used meanwhile by processes other than the target, the upstream, wrk and the bench (median, % of one core);',
    `on this 2-core machine anything above a few % means the row was measured on a busy machine (before the start: ${Math.round(busyBefore * 100)}%).`,
    'non-2xx counts responses with status ≥ 400 (wrk\'s "Non-2xx or 3xx"), summed over rounds, as are socket errors.',
    '',
    markdownTable(rows),
    '',
    notes.length > 0 ? `golb warnings and errors logged during the run:\n${notes.join('\n')}` : 'golb logged no warnings or errors during the run.',
    ...aborts,
    '',
    '```',
    ...versions,
    '```',
    '',
  ].join('\n');
}
