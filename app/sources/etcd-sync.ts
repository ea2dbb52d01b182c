/**
 * What etcd's answers do to the weights table, apart from the I/O: a full read
 * of the zone's prefix replaces the table, a watch event changes one function.
 *
 * Only keys `golb/function/<zone>/<fn>` whose `<fn>` is a valid function name
 * count; deeper keys (a `/` in the remainder) and anything else under the
 * prefix are ignored. A value that does not decode is refused: it is logged
 * with its key and the reason, counted, and the function keeps its last good
 * value (a function whose first value is bad stays unknown, 404).
 * @module
 */
import type { IEvent, IKeyValue } from 'etcd3';
import type { Logger } from '../logger.ts';
import type { WeightTable } from '../weight-table.ts';
import { isFunctionName } from '../function-name.ts';
import { decodeFunctionValue, type DecodeResult, type FunctionSpec } from './function-value.ts';

/** Largest value accepted, in bytes (etcd's own default request limit is 1.5 MiB). */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** The key prefix of a zone's functions. */
export function zonePrefix(zone: string): string {
  return `golb/function/${zone}/`;
}

/** Decodes keys and values of one zone and applies them to a table. */
export class EtcdZoneSync {
  private readonly prefix: Buffer;
  private readonly table: WeightTable;
  private readonly logger: Logger;
  private readonly knownStrategies: ReadonlySet<string>;
  /** Values refused so far (metrics). */
  refused = 0;

  constructor(zone: string, table: WeightTable, logger: Logger, knownStrategies: ReadonlySet<string>) {
    this.prefix = Buffer.from(zonePrefix(zone));
    this.table = table;
    this.logger = logger;
    this.knownStrategies = knownStrategies;
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

  private ignore(key: Buffer): void {
    this.logger.debug('etcd key ignored: not golb/function/<zone>/<function name>', { key: key.toString('utf8', 0, Math.min(key.length, 300)) });
  }

  /**
   * Decodes one page of a full read into `next` (function → spec). Refused
   * values keep their function's last good value. Pages are decoded as they
   * come so that a big zone's raw answers can be dropped early.
   * @param strings one read's addresses and hosts: functions that list the same
   *   backend (a gateway, a shared pool) share its strings, ~20 % of the table's
   *   memory in a big zone; dropped with the read, so it never grows with churn
   */
  decodePage(next: Map<string, FunctionSpec>, kvs: readonly IKeyValue[], strings = new Map<string, string>()): void {
    for (const kv of kvs) {
      const fn = this.functionOf(kv.key);
      if (fn === undefined) {
        this.ignore(kv.key);
        continue;
      }
      const result = this.decode(kv.value);
      if (result.ok) {
        for (const t of result.spec.targets) {
          t.address = shared(strings, t.address);
          t.host = shared(strings, t.host);
        }
        next.set(fn, result.spec);
        continue;
      }
      this.refuse(kv.key, fn, result.reason, kv.mod_revision);
      const last = this.table.get(fn);
      if (last !== undefined) next.set(fn, last.spec);
    }
  }

  /**
   * Makes the table exactly what a full read found: functions missing from it
   * are removed (deletes made while golb was cut off included).
   * @returns the number of functions loaded
   */
  commitSnapshot(next: ReadonlyMap<string, FunctionSpec>): number {
    this.table.replaceAll(next);
    return next.size;
  }

  /** {@link decodePage} and {@link commitSnapshot} of a read that came in one piece. */
  applySnapshot(kvs: readonly IKeyValue[]): number {
    const next = new Map<string, FunctionSpec>();
    this.decodePage(next, kvs);
    return this.commitSnapshot(next);
  }

  /** Applies watch events in order: put replaces a function, delete removes it. */
  applyEvents(events: readonly IEvent[]): void {
    for (const ev of events) {
      const { kv } = ev;
      const fn = this.functionOf(kv.key);
      if (fn === undefined) {
        this.ignore(kv.key);
        continue;
      }
      // With `enums: String` the runtime value is the proto name, `PUT` or `DELETE`.
      if (String(ev.type).toUpperCase() === 'DELETE') {
        if (this.table.delete(fn)) this.logger.info('function removed', { function: fn, revision: kv.mod_revision });
        continue;
      }
      const result = this.decode(kv.value);
      if (!result.ok) {
        this.refuse(kv.key, fn, result.reason, kv.mod_revision);
        continue;
      }
      const entry = this.table.set(fn, result.spec);
      this.logger.info('function updated', { function: fn, backends: entry.backends.length, revision: kv.mod_revision });
    }
  }
}

/** The instance of `s` already in `strings`, or `s` after adding it. */
function shared(strings: Map<string, string>, s: string): string {
  const known = strings.get(s);
  if (known !== undefined) return known;
  strings.set(s, s);
  return s;
}
