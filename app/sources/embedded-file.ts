/**
 * The embedded weight source: one JSON file, `{"<fn>": {"ips": [...],
 * "weights": [...]}, ...}`, read at start and again whenever it changes, and
 * at once on `reload()` (SIGHUP).
 *
 * Change detection uses `fs.watch` on the file's directory (it sees the
 * rename of an atomic replace as well as in-place writes) and, because watch
 * events are not guaranteed on every file system and runtime, a poll as a
 * fallback. When the file is a symbolic link (a Kubernetes ConfigMap mount:
 * `weights.json -> ..data/weights.json`, `..data -> ..<timestamp>/`), an
 * update renames `..data`, not the file: then any event in the directory
 * re-reads it. Re-reads are coalesced; unchanged text is ignored.
 *
 * Bad input loses nothing: a file that is not JSON keeps the whole current
 * table; a bad entry keeps that function's last good value; both are logged.
 * A path that is not a regular file (a FIFO, a device) is refused the same
 * way, without blocking on it (`regular-file.ts`).
 * A missing file is an empty table, with a warning (`app/warnings.ts`) naming
 * its absolute path and the working directory until it appears; an empty
 * file at start is an empty table, but later an empty file is the moment of
 * an in-place rewrite and keeps the table. Management writes are
 * `weights-file-writer.ts`'s.
 * @module
 */
import { promises as fsp, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../logger.ts';
import type { WeightTable } from '../weight-table.ts';
import type { Warnings } from '../warnings.ts';
import { isFunctionName } from '../function-name.ts';
import { decodeFunctionObject, toStoreValue, type FunctionSpec } from './function-value.ts';
import type { WeightSource } from './source.ts';
import { rewriteWeightsFile } from './weights-file-writer.ts';
import { NotRegularFile, readRegularFile } from './regular-file.ts';
import { WEIGHTS_ENTRY_REFUSED, WEIGHTS_FILE_INVALID, WEIGHTS_FILE_MISSING, reportFunctionCount } from './source-warnings.ts';

/** How often the file is re-read when watch events do not come. */
export const POLL_INTERVAL_MS = 1000;
/** Most function names one log line lists per kind of change. */
const NAMES_LOGGED = 20;

/** Options of {@link EmbeddedFileSource}. */
export interface EmbeddedFileOptions {
  path: string;
  table: WeightTable;
  logger: Logger;
  knownStrategies: ReadonlySet<string>;
  pollIntervalMs?: number;
  /** Where a missing file and an empty table are raised; none: logged only. */
  warnings?: Warnings;
  /** The process's working directory, named when the file is missing (default `process.cwd()`). */
  workingDirectory?: string;
  /** An empty table is expected (fnlb's node pool or Kubernetes serve functions without an entry): no warning for no function. */
  emptyIsNormal?: boolean;
  /** A missing file is expected too (the default path of a golb run as fnlb): no warning for it. */
  missingIsNormal?: boolean;
}

/** What a load changed: function names added, removed, with a new value. */
interface TableChange {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The file-backed weight source. */
export class EmbeddedFileSource implements WeightSource {
  readonly kind = 'embedded';
  ready = false;
  refused = 0;
  private readonly opts: EmbeddedFileOptions;
  /** The text last applied; `null` when the file was missing, `undefined` before the first read. */
  private lastText: string | null | undefined = undefined;
  /** True when the path is a symbolic link: any event in its directory may be its update. */
  private linked = false;
  private watcher: FSWatcher | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private pending: Promise<void> = Promise.resolve();
  private scheduled = false;
  private closed = false;

  constructor(opts: EmbeddedFileOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    await this.read();
    this.ready = true;
    const dir = dirname(this.opts.path) || '.';
    const file = basename(this.opts.path);
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (this.linked || name === null || String(name) === file || String(name).startsWith(`.${file}.`)) this.schedule();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No watch support here (or the directory is missing): the poll covers it.
    }
    this.poll = setInterval(() => this.schedule(), this.opts.pollIntervalMs ?? POLL_INTERVAL_MS);
    (this.poll as { unref?: () => void }).unref?.();
  }

  /** Coalesces change signals into one re-read at a time. */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.queue(async () => {
      this.scheduled = false;
      await this.read();
    });
  }

  /**
   * Runs `step` after whatever reads or writes are in progress. The chain
   * never stays rejected: a failed write must not stop later re-reads (nor
   * leave an unhandled rejection behind, which ends the process).
   */
  private queue<T>(step: () => Promise<T>): Promise<T> {
    const done = this.pending.then(step, step);
    this.pending = done.then(() => undefined, () => undefined);
    return done;
  }

  /** Re-reads the file now (SIGHUP) and logs what changed, or that nothing did. */
  reload(): Promise<void> {
    return this.queue(async () => {
      if ((await this.read()) === 'unchanged') this.opts.logger.info('weights file re-read: unchanged', { path: this.opts.path, functions: this.opts.table.size });
    });
  }

  /** Reads the file and applies it to the table unless its text is unchanged (or it cannot be read, which is logged). */
  private async read(): Promise<'applied' | 'unchanged' | 'unreadable'> {
    const { path, logger } = this.opts;
    this.linked = await fsp.lstat(path).then((s) => s.isSymbolicLink(), () => false);
    let text: string | null;
    try {
      text = await readRegularFile(path);
    } catch (err) {
      if (err instanceof NotRegularFile) {
        // The next good read applies (and clears the warning) even when its text is the one last applied.
        this.lastText = undefined;
        this.refuseFile(`is ${err.kind}, not a regular file`);
        return 'unreadable';
      }
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn('weights file unreadable; keeping the current table', { path, reason: String((err as Error).message) });
        return 'unreadable';
      }
      text = null;
    }
    if (text === this.lastText) return 'unchanged';
    this.lastText = text;
    this.apply(text);
    return 'applied';
  }

  /** Applies the file's text (`null`: no file, an empty table). */
  private apply(text: string | null): void {
    const { table, logger, knownStrategies, path } = this.opts;
    let doc: unknown = {};
    if (text !== null && text.trim() === '' && this.ready) {
      // An in-place rewrite (`>`, writeFile) truncates before it writes, and the
      // watch event of the truncation can be read first: taking that moment for
      // "no functions" would answer 404 for all of them until the write lands.
      // `{}` (or deleting the file) is how a writer empties the table.
      logger.info('weights file is empty; keeping the current table (write {} to remove every function)', { path });
      return;
    }
    this.reportMissing(text === null);
    if (text !== null && text.trim() !== '') {
      try {
        doc = JSON.parse(text);
      } catch (err) {
        this.refuseFile('is not valid JSON', (err as Error).message);
        return;
      }
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      this.refuseFile('must hold a JSON object of functions');
      return;
    }
    this.opts.warnings?.clear(WEIGHTS_FILE_INVALID);
    const next = new Map<string, FunctionSpec>();
    /** Refused entries: `fn (kept)` or `fn (unknown)`, for the warning. */
    const refused: string[] = [];
    for (const [fn, value] of Object.entries(doc)) {
      if (!isFunctionName(fn)) {
        this.refused++;
        logger.warn('weights entry refused: bad function name', { path, function: fn.slice(0, 60) });
        refused.push(`${JSON.stringify(fn.slice(0, 60))} (not a function name)`);
        continue;
      }
      const result = decodeFunctionObject(value, knownStrategies);
      if (result.ok) {
        next.set(fn, result.spec);
        continue;
      }
      this.refused++;
      const last = table.get(fn);
      if (last !== undefined) {
        logger.warn('weights entry refused; keeping its last good value', { path, function: fn, reason: result.reason, kept: true });
        next.set(fn, last.spec);
      } else logger.warn('weights entry refused; no earlier good value: the function stays unknown (404)', { path, function: fn, reason: result.reason, kept: false });
      refused.push(`${fn} (${last !== undefined ? 'last good value kept' : 'unknown: 404'})`);
    }
    this.reportRefusedEntries(refused);
    const change = changeOf(table, next);
    table.replaceAll(next);
    logger.info('weights loaded', { source: 'embedded', path, functions: next.size, ...named(change) });
    if (!this.opts.emptyIsNormal) reportFunctionCount(this.opts.warnings, next.size, `the weights file ${resolve(path)}`);
  }

  /** The whole file is refused: the table stays as it was, which at start is empty. Raised until a good read. */
  private refuseFile(why: string, detail?: string): void {
    const { path, logger, table, warnings } = this.opts;
    this.refused++;
    logger.warn(`weights file ${why}; keeping the current table`, { path, reason: detail, functions: table.size });
    warnings?.raise(WEIGHTS_FILE_INVALID, `weights file ${resolve(path)} ${why}${detail === undefined ? '' : ` (${detail})`}; keeping the current table (${table.size} functions)`);
  }

  /** Raises (or clears) the warning of the entries this read refused. */
  private reportRefusedEntries(refused: string[]): void {
    const warnings = this.opts.warnings;
    if (warnings === undefined) return;
    if (refused.length === 0) {
      warnings.clear(WEIGHTS_ENTRY_REFUSED);
      return;
    }
    const shown = refused.slice(0, 10).join(', ') + (refused.length > 10 ? `, and ${refused.length - 10} more` : '');
    warnings.raise(WEIGHTS_ENTRY_REFUSED, `weights file ${resolve(this.opts.path)}: ${refused.length} entries refused (the log says why): ${shown}`);
  }

  /**
   * A missing file is an empty table: the normal first run of a demo, but
   * more often a typo in `eb_go_lb_weights_file` or a mount that is not there.
   * Raised (named with its absolute path and the working directory) while it
   * lasts; a file deleted later removes every function, which is logged too.
   */
  private reportMissing(missing: boolean): void {
    const { warnings, path, logger } = this.opts;
    if (!missing) {
      warnings?.clear(WEIGHTS_FILE_MISSING);
      return;
    }
    if (this.ready) logger.warn('weights file is missing; every function is removed', { path });
    if (this.opts.missingIsNormal) return;
    const absolute = resolve(path);
    const cwd = this.opts.workingDirectory ?? process.cwd();
    warnings?.raise(WEIGHTS_FILE_MISSING, `weights file ${absolute} does not exist (working directory ${cwd}); no function is served from it until it appears`, { path: absolute, cwd });
  }

  async put(fn: string, spec: FunctionSpec): Promise<void> {
    await this.rewrite((doc) => {
      doc[fn] = toStoreValue(spec);
    });
  }

  async remove(fn: string): Promise<void> {
    await this.rewrite((doc) => {
      delete doc[fn];
    });
  }

  /**
   * One management write (`weights-file-writer.ts`), queued after reads in
   * progress, then the file re-read so the answer reflects it.
   * @throws {WeightsFileRefused} or {WeightsFileWriteFailed}
   */
  private rewrite(change: (doc: Record<string, unknown>) => void): Promise<void> {
    return this.queue(async () => {
      try {
        await rewriteWeightsFile(this.opts.path, change, String(process.pid));
      } finally {
        await this.read();
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    await this.pending;
  }
}

/** The functions `next` adds to, removes from and changes in `table`. */
function changeOf(table: WeightTable, next: ReadonlyMap<string, FunctionSpec>): TableChange {
  const change: TableChange = { added: [], removed: [], changed: [] };
  for (const fn of table.names()) if (!next.has(fn)) change.removed.push(fn);
  for (const [fn, spec] of next) {
    const entry = table.get(fn);
    if (entry === undefined) change.added.push(fn);
    else if (entry.spec !== spec && JSON.stringify(toStoreValue(entry.spec)) !== JSON.stringify(toStoreValue(spec))) change.changed.push(fn);
  }
  return change;
}

/** The non-empty lists of a change, at most {@link NAMES_LOGGED} names each, for a log line. */
function named(change: TableChange): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [kind, names] of Object.entries(change)) {
    if (names.length === 0) continue;
    fields[kind] = names.slice(0, NAMES_LOGGED).join(',') + (names.length > NAMES_LOGGED ? `,…(${names.length})` : '');
  }
  return fields;
}
