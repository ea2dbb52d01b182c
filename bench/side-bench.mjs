/**
 * What the benches beside the main one (`mgmt-reads.mjs`, `traces.mjs`)
 * share: their `--name value` flags over defaults, and the run itself — the
 * bench upstream started once, one measure per runtime (a runtime that fails
 * is a FAILED row, not the end of the run), the report printed and written to
 * `bench/results/<file>`.
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopAll, stopAllOnExit } from './procs.mjs';
import { ensureTools, startTargets } from './targets.mjs';

/**
 * Reads `--name value` / `--name=value` flags over `defaults`: `runtimes` is a
 * comma list, every other flag a whole number of 1 or more.
 */
export function readBenchOptions(argv, defaults) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (m === null || !(m[1] in opts)) throw new Error(`unknown argument ${JSON.stringify(argv[i])}; flags: ${Object.keys(opts).map((k) => `--${k}`).join(' ')}`);
    const value = m[2] ?? argv[++i];
    opts[m[1]] = m[1] === 'runtimes' ? value : Number(value);
  }
  for (const [k, v] of Object.entries(opts)) if (k !== 'runtimes' && !(Number.isInteger(v) && v >= 1)) throw new Error(`--${k}: expected a whole number of 1 or more`);
  return { ...opts, runtimes: opts.runtimes.split(',').map((s) => s.trim()).filter(Boolean) };
}

/**
 * Runs a side bench: `measure(runtime, context)` per runtime against one
 * upstream, then `report(rows, opts)`, printed and written to
 * `bench/results/<resultFile>`. Exits 1 with `<name>: <message>` on a failure
 * outside the measures.
 */
export function runSideBench({ name, argv, defaults, measure, report, resultFile }) {
  const main = async () => {
    const opts = readBenchOptions(argv, defaults);
    ensureTools();
    const benchDir = dirname(fileURLToPath(import.meta.url));
    const logDir = join(benchDir, 'results', 'logs');
    const rawDir = join(benchDir, 'results', 'raw');
    for (const d of [logDir, rawDir]) mkdirSync(d, { recursive: true });
    const tmp = mkdtempSync(join(tmpdir(), `golb-${name.replace(/[^a-z]/g, '-')}-`));
    stopAllOnExit();
    process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
    try {
      const { upstream } = await startTargets({ root: dirname(benchDir), benchDir, tmp, logDir, selected: [] });
      const rows = [];
      for (const runtime of opts.runtimes) {
        rows.push(await measure(runtime, { upstreamPort: upstream.port, opts, dir: tmp, rawDir, logDir }).catch((err) => ({ name: `golb-${runtime}`, error: err.message.split('\n')[0] })));
      }
      const text = `${report(rows, opts)}\n`;
      console.log(`\n${text}`);
      writeFileSync(join(benchDir, 'results', resultFile), text);
    } finally {
      await stopAll();
    }
  };
  main().catch(async (err) => {
    process.stderr.write(`${name}: ${err.message}\n`);
    await stopAll();
    process.exit(1);
  });
}
