/**
 * The embedded weight source: one JSON file, `{"<fn>": {"ips": [...],
 * "weights": [...]}, ...}`, read at start and again whenever it changes.
 *
 * Change detection uses `fs.watch` on the file's directory (it sees the
 * rename of an atomic replace as well as in-place writes) and, because watch
 * events are not guaranteed on every file system and runtime, a stat poll as a
 * fallback. Re-reads are coalesced; unchanged text is ignored.
 *
 * Bad input loses nothing: a file that is not JSON keeps the whole current
 * table; a bad entry keeps that function's last good value; both are logged.
 * A missing file is an empty table; so is an empty one at start, but later
 * an empty file is the moment of an in-place rewrite and keeps the table.
 * Management writes replace the file atomically (temporary file, then rename).
 * @module
 */
import { promises as fsp, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../logger.ts';
import type { WeightTable } from '../weight-table.ts';
import { isFunctionName } from '../function-name.ts';
import { decodeFunctionObject, type FunctionSpec } from './function-value.ts';
import type { WeightSource } from './source.ts';

/** How often the file is stat-polled when watch events do not come. */
export const POLL_INTERVAL_MS = 1000;

/** Options of {@link EmbeddedFileSource}. */
export interface EmbeddedFileOptions {
  path: string;
  table: WeightTable;
  logger: Logger;
  knownStrategies: ReadonlySet<string>;
  pollIntervalMs?: number;
}

/** The file-backed weight source. */
export class EmbeddedFileSource implements WeightSource {
  readonly kind = 'embedded';
  ready = false;
  refused = 0;
  private readonly opts: EmbeddedFileOptions;
  /** The text last applied; `null` when the file was missing, `undefined` before the first read. */
  private lastText: string | null | undefined = undefined;
  private watcher: FSWatcher | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private pending: Promise<void> = Promise.resolve();
  private scheduled = false;
  private closed = false;

  constructor(opts: EmbeddedFileOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    await this.reload();
    this.ready = true;
    const dir = dirname(this.opts.path) || '.';
    const file = basename(this.opts.path);
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || String(name) === file || String(name).startsWith(`.${file}.`)) this.schedule();
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
    const reread = async (): Promise<void> => {
      this.scheduled = false;
      await this.reload();
    };
    // The chain never stays rejected: a failed write must not stop later re-reads
    // (nor leave an unhandled rejection behind, which ends the process).
    this.pending = this.pending.then(reread, reread).catch(() => undefined);
  }

  /** Reads the file and applies it to the table (no-op when unchanged). */
  async reload(): Promise<void> {
    let text: string | null;
    try {
      text = await fsp.readFile(this.opts.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.opts.logger.warn('weights file unreadable; keeping the current table', { path: this.opts.path, reason: String((err as Error).message) });
        return;
      }
      text = null;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    this.apply(text);
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
    // Missing at start is the normal first run; missing later removes every
    // function, which an operator should see named in the log.
    if (text === null && this.ready) logger.warn('weights file is missing; every function is removed', { path });
    if (text !== null && text.trim() !== '') {
      try {
        doc = JSON.parse(text);
      } catch (err) {
        this.refused++;
        logger.warn('weights file is not valid JSON; keeping the current table', { path, reason: (err as Error).message });
        return;
      }
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      this.refused++;
      logger.warn('weights file must hold a JSON object of functions; keeping the current table', { path });
      return;
    }
    const next = new Map<string, FunctionSpec>();
    for (const [fn, value] of Object.entries(doc)) {
      if (!isFunctionName(fn)) {
        this.refused++;
        logger.warn('weights entry refused: bad function name', { path, function: fn.slice(0, 60) });
        continue;
      }
      const result = decodeFunctionObject(value, knownStrategies);
      if (result.ok) {
        next.set(fn, result.spec);
        continue;
      }
      this.refused++;
      const last = table.get(fn);
      logger.warn('weights entry refused; keeping its last good value', { path, function: fn, reason: result.reason, kept: last !== undefined });
      if (last !== undefined) next.set(fn, last.spec);
    }
    table.replaceAll(next);
    logger.info('weights loaded', { source: 'embedded', path, functions: next.size });
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
   * Read-modify-write of the file, replaced atomically (a temporary file with
   * the original's mode, then a rename), then re-read. A file that exists but
   * is not a JSON object is an operator's edit in progress: the write is refused
   * rather than rebuilding the file from the table and losing that edit. So is a
   * file that changed between the read and the rename.
   * @throws {WeightsFileError} when the file cannot be rewritten safely
   */
  private async rewrite(change: (doc: Record<string, unknown>) => void): Promise<void> {
    const path = this.opts.path;
    const run = async (): Promise<void> => {
      let text: string | undefined;
      let mode = 0o644;
      try {
        text = await fsp.readFile(path, 'utf8');
        mode = (await fsp.stat(path)).mode & 0o7777;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new WeightsFileError('the weights file cannot be read');
      }
      let doc: Record<string, unknown> = {};
      if (text !== undefined && text.trim() !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new WeightsFileError('the weights file is not valid JSON now (an edit in progress?): not overwritten');
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new WeightsFileError('the weights file does not hold a JSON object: not overwritten');
        doc = parsed as Record<string, unknown>;
      }
      change(doc);
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
      try {
        await fsp.writeFile(tmp, JSON.stringify(doc, null, 2) + '\n', { mode });
        const now = await fsp.readFile(path, 'utf8').catch(() => undefined);
        if (now !== text) throw new WeightsFileError('the weights file changed while it was being rewritten: not overwritten');
        await fsp.rename(tmp, path);
      } catch (err) {
        await fsp.unlink(tmp).catch(() => undefined);
        if (err instanceof WeightsFileError) throw err;
        throw new WeightsFileError('the weights file cannot be written');
      } finally {
        await this.reload();
      }
    };
    const done = this.pending.then(run, run);
    this.pending = done.catch(() => undefined);
    await done;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    await this.pending.catch(() => undefined);
  }
}

/** A management write the weights file cannot take; the message is safe to show a client. */
export class WeightsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFileError';
  }
}

/** The store form of a spec: what a writer would put. */
export function toStoreValue(spec: FunctionSpec): Record<string, unknown> {
  const value: Record<string, unknown> = {
    ips: spec.targets.map((t) => t.address),
    weights: spec.targets.map((t) => t.weight),
  };
  if (spec.strategy !== undefined) value.strategy = spec.strategy;
  return value;
}
