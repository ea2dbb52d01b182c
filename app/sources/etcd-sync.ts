/**
 * What etcd's answers do to the weights table, apart from the I/O: a full read
 * of the zone's prefix replaces the table, a watch event changes one function.
 *
 * Only keys `golb/function/<zone>/<fn>` whose `<fn>` is a valid function name
 * count; deeper keys (a `/` in the remainder) are ignored, and a `<fn>` that is
 * not a function name is ignored with a warning (`etcd-ignored-keys.ts`). A value that does not decode is refused: it is logged
 * with its key and the reason, counted, and the function keeps its last good
 * value. In a full read (at start, after a compaction) the refused key's
 * history is looked through for its newest good value (`etcd-history.ts`),
 * so that a restart does not lose what a running golb kept; a function with
 * no good value there either (never good, or compacted) stays unknown, 404,
 * or keeps what the table had. While any function is served from an older
 * value than its current one (found in its history, or kept when a bad value
 * came), a warning names them (`weights_from_history`), and another the
 * functions left unknown (`etcd_functions_unknown`); a good value written, or
 * the key deleted, ends each.
 *
 * Each function's revision is kept too: the mod revision of the value that
 * serves (an older one's when the current value is refused), which the load
 * reports name (`weightsRevision`) so that an optimiser can tell whether a
 * gateway already follows what it wrote.
 * @module
 */
import type { IEvent, IKeyValue } from 'etcd3';
import type { Logger } from '../logger.ts';
import type { WeightTable } from '../weight-table.ts';
import type { Warnings } from '../warnings.ts';
import { isFunctionName } from '../function-name.ts';
import { decodeFunctionValue, type DecodeResult, type FunctionSpec } from './function-value.ts';
import { HISTORY_READS_PER_LOAD, newestGoodVersions, type HistoryLookup, type ReadKeyAt } from './etcd-history.ts';
import { IgnoredEtcdKeys } from './etcd-ignored-keys.ts';
import { reportEtcdRefusals } from './source-warnings.ts';

/** Largest value accepted, in bytes (etcd's own default request limit is 1.5 MiB). */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** The key prefix of a zone's functions. */
export function zonePrefix(zone: string): string {
  return `golb/function/${zone}/`;
}

/** One full read in progress: what it decoded so far, and its refused values. */
export interface ZoneRead {
  /** Function → spec, as the table will be. */
  next: Map<string, FunctionSpec>;
  /**
   * One read's addresses and hosts: functions that list the same backend (a
   * gateway, a shared pool) share its strings, ~20 % of the table's memory in
   * a big zone; dropped with the read, so it never grows with churn.
   */
  strings: Map<string, string>;
  /** Refused values, looked up in their history before the commit. */
  refusals: { kv: IKeyValue; fn: string; reason: string }[];
  /** Functions this read serves from an older value, with which (`revision 41`). */
  historic: Map<string, string>;
  /** Function → the mod revision of the value it serves. */
  revisions: Map<string, number>;
  /** Functions this read leaves unknown (404): their value is refused and nothing good serves instead. */
  unknown: Set<string>;
  /** Keys under the prefix that name no function, with their mod revision. */
  ignored: Map<string, string>;
}

/** Decodes keys and values of one zone and applies them to a table. */
export class EtcdZoneSync {
  private readonly prefix: Buffer;
  private readonly table: WeightTable;
  private readonly logger: Logger;
  private readonly knownStrategies: ReadonlySet<string>;
  private readonly warnings: Warnings | undefined;
  /** Functions served from an older value than etcd's current one, with which: `revision 41`. */
  private historic = new Map<string, string>();
  /** Function → the mod revision of the value in the table. */
  private revisions = new Map<string, number>();
  /** Functions whose current value is refused and that are not in the table. */
  private unknown = new Set<string>();
  private readonly ignoredKeys: IgnoredEtcdKeys;
  /** Values refused so far (metrics). */
  refused = 0;

  constructor(zone: string, table: WeightTable, logger: Logger, knownStrategies: ReadonlySet<string>, warnings?: Warnings) {
    this.prefix = Buffer.from(zonePrefix(zone));
    this.table = table;
    this.logger = logger;
    this.knownStrategies = knownStrategies;
    this.warnings = warnings;
    this.ignoredKeys = new IgnoredEtcdKeys(zonePrefix(zone), logger, warnings);
  }

  /** The etcd mod revision of the value `fn` is served from; undefined when it is not in the table from etcd. */
  revisionOf(fn: string): number | undefined {
    return this.revisions.get(fn);
  }

  /** The functions served from an older value than etcd's current one now, with which. */
  get servedFromHistory(): ReadonlyMap<string, string> {
    return this.historic;
  }

  /** The function a key names, or undefined when the key does not count. */
  functionOf(key: Buffer): string | undefined {
    if (key.length <= this.prefix.length || !key.subarray(0, this.prefix.length).equals(this.prefix)) return undefined;
    const fn = key.toString('utf8', this.prefix.length);
    return isFunctionName(fn) ? fn : undefined;
  }

  private decode(value: Buffer): DecodeResult {
    if (value.length > MAX_VALUE_BYTES) return { ok: false, reason: `value is ${value.length} bytes, more than ${MAX_VALUE_BYTES}` };
    return decodeFunctionValue(value.toString('utf8'), this.knownStrategies);
  }

  private refuse(key: Buffer, fn: string, reason: string, revision: string): void {
    this.refused++;
    const kept = this.table.get(fn) !== undefined;
    this.logger.warn('etcd value refused; keeping the last good value', { key: key.toString('utf8'), reason, kept, revision });
  }

  /** A fresh {@link ZoneRead}. */
  beginRead(): ZoneRead {
    return { next: new Map(), strings: new Map(), refusals: [], historic: new Map(), revisions: new Map(), unknown: new Set(), ignored: new Map() };
  }

  /**
   * A key that names no function: one right under the prefix is a bad name,
   * warned of (`etcd-ignored-keys.ts`); a deeper one is ignored by design.
   */
  private ignore(kv: IKeyValue, into?: Map<string, string>): boolean {
    const rest = kv.key.toString('utf8', this.prefix.length);
    if (kv.key.length > this.prefix.length && !rest.includes('/')) {
      this.ignoredKeys.note(kv.key.toString('utf8'), kv.mod_revision, into);
      return true;
    }
    this.logger.debug('etcd key ignored: not golb/function/<zone>/<function name>', { key: kv.key.toString('utf8', 0, Math.min(kv.key.length, 300)) });
    return false;
  }

  /**
   * Decodes one page of a full read into `read.next`. A refused value keeps
   * its function's last good value for now; {@link lookBack} decides. Pages
   * are decoded as they come so that a big zone's raw answers can be dropped early.
   */
  decodePage(read: ZoneRead, kvs: readonly IKeyValue[]): void {
    for (const kv of kvs) {
      const fn = this.functionOf(kv.key);
      if (fn === undefined) {
        this.ignore(kv, read.ignored);
        continue;
      }
      const result = this.decode(kv.value);
      if (result.ok) {
        for (const t of result.spec.targets) {
          t.address = shared(read.strings, t.address);
          t.host = shared(read.strings, t.host);
        }
        read.next.set(fn, result.spec);
        read.revisions.set(fn, Number(kv.mod_revision));
        continue;
      }
      this.refused++;
      read.refusals.push({ kv, fn, reason: result.reason });
      const last = this.table.get(fn);
      if (last !== undefined) {
        read.next.set(fn, last.spec);
        const revision = this.revisions.get(fn);
        if (revision !== undefined) read.revisions.set(fn, revision);
      }
    }
  }

  /**
   * For each value the read refused, the newest good value in the key's
   * history (`etcd-history.ts`), which then serves; logged either way: the
   * key, why its value is refused, and the revision served or why none is.
   * Without `readAt` no history is read (the table's last good value stays).
   * @throws when etcd cannot be read (the read is tried again)
   */
  async lookBack(read: ZoneRead, readAt: ReadKeyAt | undefined, budget = HISTORY_READS_PER_LOAD): Promise<void> {
    const notRead: HistoryLookup = { found: false, why: 'history not read', looked: 0 };
    const lookups = readAt === undefined
      ? read.refusals.map(() => notRead)
      : await newestGoodVersions(read.refusals.map((r) => r.kv), readAt, (v) => this.decode(v), budget);
    for (const [i, { kv, fn, reason }] of read.refusals.entries()) {
      const key = kv.key.toString('utf8');
      const lookup = lookups[i] ?? notRead;
      if (lookup.found) {
        read.next.set(fn, lookup.spec);
        read.revisions.set(fn, lookup.revision);
        read.historic.set(fn, `revision ${lookup.revision}`);
        this.logger.warn('etcd value refused; serving the newest good value in its history', { key, reason, revision: kv.mod_revision, served: lookup.revision });
        continue;
      }
      const kept = read.next.has(fn);
      if (kept) read.historic.set(fn, this.historic.get(fn) ?? `the value before revision ${kv.mod_revision}`);
      else read.unknown.add(fn);
      const line = kept ? 'etcd value refused; keeping the last good value' : 'etcd value refused; no good value in its history: the function stays unknown (404)';
      this.logger.warn(line, { key, reason, kept, revision: kv.mod_revision, history: lookup.why });
    }
    read.refusals = [];
  }

  /**
   * Makes the table exactly what a full read found: functions missing from it
   * are removed (deletes made while golb was cut off included).
   * @returns the number of functions loaded
   */
  commitSnapshot(read: ZoneRead): number {
    this.table.replaceAll(read.next);
    this.historic = read.historic;
    this.revisions = read.revisions;
    this.unknown = read.unknown;
    this.ignoredKeys.replace(read.ignored);
    this.reportHistoric();
    return read.next.size;
  }

  /** {@link decodePage}, {@link lookBack} and {@link commitSnapshot} of a read that came in one piece. */
  async applySnapshot(kvs: readonly IKeyValue[], readAt?: ReadKeyAt): Promise<number> {
    const read = this.beginRead();
    this.decodePage(read, kvs);
    await this.lookBack(read, readAt);
    return this.commitSnapshot(read);
  }

  /** Raises or clears the warnings naming the functions served from their history and those left unknown. */
  private reportHistoric(): void {
    reportEtcdRefusals(this.warnings, this.historic, this.unknown);
  }

  /** Applies watch events in order: put replaces a function, delete removes it. */
  applyEvents(events: readonly IEvent[]): void {
    let ignoredChanged = false;
    for (const ev of events) {
      const { kv } = ev;
      const fn = this.functionOf(kv.key);
      if (fn === undefined) {
        if (String(ev.type).toUpperCase() === 'DELETE') this.ignoredKeys.delete(kv.key.toString('utf8'));
        else ignoredChanged = this.ignore(kv) || ignoredChanged;
        continue;
      }
      // With `enums: String` the runtime value is the proto name, `PUT` or `DELETE`.
      if (String(ev.type).toUpperCase() === 'DELETE') {
        this.historic.delete(fn);
        this.revisions.delete(fn);
        this.unknown.delete(fn);
        if (this.table.delete(fn)) this.logger.info('function removed', { function: fn, revision: kv.mod_revision });
        continue;
      }
      const result = this.decode(kv.value);
      if (!result.ok) {
        this.refuse(kv.key, fn, result.reason, kv.mod_revision);
        // The last good value serves on: an older value than etcd's, as after a look back.
        if (this.table.get(fn) === undefined) this.unknown.add(fn);
        else if (!this.historic.has(fn)) this.historic.set(fn, `the value before revision ${kv.mod_revision}`);
        continue;
      }
      this.historic.delete(fn);
      this.unknown.delete(fn);
      const entry = this.table.set(fn, result.spec);
      this.revisions.set(fn, Number(kv.mod_revision));
      this.logger.info('function updated', { function: fn, backends: entry.backends.length, revision: kv.mod_revision });
    }
    if (ignoredChanged) this.ignoredKeys.report();
    this.reportHistoric();
  }
}

/** The instance of `s` already in `strings`, or `s` after adding it. */
function shared(strings: Map<string, string>, s: string): string {
  const known = strings.get(s);
  if (known !== undefined) return known;
  strings.set(s, s);
  return s;
}
