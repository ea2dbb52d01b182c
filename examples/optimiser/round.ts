/**
 * One round of the optimiser against etcd: read the zone's load reports, and
 * for every function with traffic in them read its value, compute new weights
 * (`lrt.ts`) and write them back when they changed enough.
 *
 * The write keeps the value as it is apart from `weights`: the same `ips` in
 * the same order and every other field (`strategy`, per-function settings).
 * It is a compare-and-swap on the value's revision, so a value someone changed
 * since it was read (an operator adding a pod) is never overwritten with
 * weights computed for the old one; the next round starts from the new value.
 * @module
 */
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../../app/logger.ts';
import { canonicalAddress } from '../../app/sources/function-value.ts';
import { changedEnough, lrtWeights, observe, updateAverages, type Average } from './lrt.ts';
import { decodeReports, freshReports, type GatewayReport } from './reports.ts';
import type { Settings } from './settings.ts';

/** What the optimiser remembers from one round to the next. */
export interface OptimiserState {
  /** Each gateway's last report used, by its time (ms). */
  lastUsed: Map<string, number>;
  /** Each function's response-time averages, by backend address. */
  averages: Map<string, Map<string, Average>>;
  /** Problems already logged (a bad report stays bad until its gateway writes another). */
  warned: Set<string>;
}

/** A fresh state: nothing seen yet. */
export function newState(): OptimiserState {
  return { lastUsed: new Map(), averages: new Map(), warned: new Set() };
}

/** A function value as golb reads it, for reweighing. */
interface CurrentValue {
  /** The whole value, extra fields included. */
  value: Record<string, unknown>;
  ips: string[];
  weights: number[];
}

/** The value in `text`, or why it cannot be reweighed (golb refuses such a value too). */
function decodeValue(text: string): CurrentValue | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { ips, weights } = value as Record<string, unknown>;
  if (!Array.isArray(ips) || !ips.every((ip) => typeof ip === 'string')) return '"ips" is not a list of addresses';
  if (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)) return '"weights" is not a list of numbers ≥ 0';
  if (ips.length !== weights.length) return '"ips" and "weights" differ in length';
  return { value: value as Record<string, unknown>, ips, weights };
}

/** Runs one round; resolves the number of values written. Rejects when etcd cannot be read. */
export async function runRound(etcd: Etcd3, settings: Settings, state: OptimiserState, log: Logger): Promise<number> {
  const values = await etcd.getAll().prefix(`golb/load/${settings.zone}/`).strings();
  const { reports, problems } = decodeReports(values, settings.zone);
  for (const { key, reason } of problems) warnOnce(state, log, `${key} ${values[key]}`, 'load report skipped', { key, reason });
  const fresh = freshReports(reports, state.lastUsed);
  const functions = new Set(fresh.flatMap((r) => Object.keys(r.functions)));
  let written = 0;
  for (const fn of [...functions].sort()) if (await reweigh(etcd, settings, state, log, fn, fresh)) written++;
  return written;
}

/** Reweighs one function; true when its value was written. */
async function reweigh(etcd: Etcd3, settings: Settings, state: OptimiserState, log: Logger, fn: string, fresh: GatewayReport[]): Promise<boolean> {
  const key = `golb/function/${settings.zone}/${fn}`;
  const kv = (await etcd.get(key).exec()).kvs[0];
  // No value: golb serves the function some other way (fnlb's node pool, Kubernetes pods). Nothing to reweigh.
  if (kv === undefined) return false;
  const current = decodeValue(kv.value.toString());
  if (typeof current === 'string') {
    warnOnce(state, log, `${key} ${kv.mod_revision}`, 'function value not reweighed', { key, reason: current });
    return false;
  }
  // Reports name backends `host:port` as golb does; a value may say `10.0.0.1` for `10.0.0.1:80`.
  const listed = current.ips.map((ip) => canonicalAddress(ip) ?? ip);
  const observed = observe(fresh, fn);
  const averages = updateAverages(state.averages.get(fn) ?? new Map(), observed, listed, settings.windowMs);
  state.averages.set(fn, averages);
  const weights = lrtWeights(listed, current.weights, averages, observed, settings.scaling);
  if (!changedEnough(current.weights, weights, settings.threshold)) return false;

  const text = JSON.stringify({ ...current.value, weights });
  if (settings.dryRun) {
    log.info('dry run: weights not written', { function: fn, old: current.weights, new: weights, value: text });
    return false;
  }
  const result = await etcd.if(key, 'Mod', '==', kv.mod_revision).then(etcd.put(key).value(text)).commit();
  if (!result.succeeded) {
    log.warn('weights not written: the value changed since it was read; the next round starts from the new one', { function: fn });
    return false;
  }
  log.info('weights written', { function: fn, old: current.weights, new: weights, revision: Number(result.header.revision) });
  return true;
}

/** Logs a warning the first time `id` comes up. */
function warnOnce(state: OptimiserState, log: Logger, id: string, msg: string, fields: Record<string, unknown>): void {
  if (state.warned.has(id)) return;
  state.warned.add(id);
  log.warn(msg, fields);
}
