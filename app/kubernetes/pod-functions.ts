/**
 * Functions from pods (edgerun's README: `/function/<fn>` goes "to a Pod that
 * runs an image with the same name"): a {@link WeightTable} in which the
 * weight source's entries win over entries discovered from pods.
 *
 * The source (etcd, the file) writes through the table's usual `set`,
 * `delete` and `replaceAll` and owns what it writes; discovery hands over the
 * whole pod-derived map with {@link PodFunctionTable.setDiscovered}. A
 * function the source has keeps the source's backends and weights (the
 * optimiser decides); a function known only from pods gets its ready pods at
 * equal weights; when the source deletes a function pods still serve, the
 * pods' entry comes back.
 * @module
 */
import type { FunctionSpec, Target } from '../sources/function-value.ts';
import { WeightTable, type FunctionEntry } from '../weight-table.ts';
import { podAddress, takesRequests, type PodView } from './pod-view.ts';
import { isFunctionName } from '../function-name.ts';

/**
 * Each function's ready pods as equal-weight targets on `port`, sorted by
 * address. A pod whose function name could never be requested (not
 * `[A-Za-z0-9][A-Za-z0-9._-]{0,252}`: `..`, a newline, `_pool`) is left out, so
 * an image or label cannot plant names in the table, the stats or the logs.
 */
export function functionsOfPods(pods: Iterable<PodView>, port: number): Map<string, FunctionSpec> {
  const byFn = new Map<string, Target[]>();
  for (const pod of pods) {
    if (pod.fn === undefined || pod.ip === undefined || !takesRequests(pod) || !isFunctionName(pod.fn)) continue;
    const host = pod.ip;
    const targets = byFn.get(pod.fn) ?? [];
    targets.push({ address: podAddress(host, port), host, port, weight: 1 });
    byFn.set(pod.fn, targets);
  }
  const out = new Map<string, FunctionSpec>();
  for (const [fn, targets] of byFn) out.set(fn, { targets: targets.sort((a, b) => (a.address < b.address ? -1 : 1)), strategy: undefined });
  return out;
}

/** A weight table whose source's entries win over discovered ones. */
export class PodFunctionTable extends WeightTable {
  private readonly owned = new Set<string>();
  private discovered = new Map<string, FunctionSpec>();

  /** The source's put. */
  override set(fn: string, spec: FunctionSpec): FunctionEntry {
    this.owned.add(fn);
    return super.set(fn, spec);
  }

  /** The source's delete: a function pods still serve falls back to them. */
  override delete(fn: string): boolean {
    if (!this.owned.delete(fn)) return false;
    const pods = this.discovered.get(fn);
    if (pods !== undefined) {
      super.set(fn, pods);
      return true;
    }
    return super.delete(fn);
  }

  /** The source's full read. */
  override replaceAll(specs: ReadonlyMap<string, FunctionSpec>): void {
    for (const fn of [...this.owned]) if (!specs.has(fn)) this.delete(fn);
    for (const [fn, spec] of specs) this.set(fn, spec);
  }

  /** Whether the entry of `fn` comes from pods. */
  fromPods(fn: string): boolean {
    return !this.owned.has(fn) && this.discovered.has(fn);
  }

  /** Discovery's whole view: functions the source does not have follow it. */
  setDiscovered(specs: ReadonlyMap<string, FunctionSpec>): void {
    const before = this.discovered;
    this.discovered = new Map(specs);
    for (const fn of before.keys()) if (!specs.has(fn) && !this.owned.has(fn)) super.delete(fn);
    for (const [fn, spec] of specs) {
      if (this.owned.has(fn)) continue;
      const old = before.get(fn);
      if (old !== undefined && sameTargets(old, spec)) continue;
      super.set(fn, spec);
    }
  }
}

function sameTargets(a: FunctionSpec, b: FunctionSpec): boolean {
  return a.targets.length === b.targets.length && a.targets.every((t, i) => t.address === b.targets[i]?.address && t.weight === b.targets[i]?.weight);
}
