/**
 * Least-response-time weights, as edgerun's `WrrOptimizer` computes them
 * (faas-optimizations, the smooth variant): per backend a moving average of
 * its response time, and
 *
 *     weight = max(1, 100 / (rt / rt_min)^scaling), rounded to 2 decimals
 *
 * so the fastest backend gets 100 and one twice as slow 100 / 2^2.5 = 17.68.
 * Pure functions, in the order a round calls them:
 *
 * 1. {@link observe}: one function's backends over the fresh reports of every
 *    gateway of the zone. A backend several gateways send to is merged
 *    request-weighted: 90 requests at 10 ms and 10 at 50 ms are 14 ms.
 * 2. {@link updateAverages}: each observed backend's average moves towards what
 *    was observed by α = 1 − exp(−Δt / window), Δt the time since its last
 *    observation (edgerun's EWMA, window 45 s). A backend observed for the first
 *    time starts from the median of the others' averages, one report window
 *    ago (edgerun seeds new replicas with the median): one window of a cold
 *    start does not bury it, nor does one lucky window flood it. The very first
 *    observations, with no average to take a median of, are taken as they are.
 * 3. {@link lrtWeights}: the new weights of the listed backends. Only the
 *    listed backends are reweighed, none is added or removed; a backend with
 *    weight 0 (drained by whoever wrote the value) and one with no traffic in
 *    the reports keep the weight they have.
 * 4. {@link changedEnough}: whether the new weights are worth a write.
 * @module
 */
import { answered, type GatewayReport } from './reports.ts';

/** The fastest backend's weight (edgerun's `max_weight`). */
export const MAX_WEIGHT = 100;
/** Response times below this count as this, ms: a sub-millisecond p50 of 0 would divide by 0. */
export const MIN_RT_MS = 0.1;

/** What the fresh reports say about one backend of a function. */
export interface Observation {
  /** Response time (p50 to the response head), ms, request-weighted over the gateways. */
  rtMs: number;
  /** Answered requests behind it. */
  requests: number;
  /** End of the newest report window it comes from, ms since the epoch. */
  atMs: number;
  /** That report's window, ms. */
  windowMs: number;
}

/** One backend's moving average of response time. */
export interface Average {
  rtMs: number;
  /** When it was last moved, ms since the epoch (a report's time). */
  atMs: number;
}

/** Function `fn`'s backends in `reports`, by address, merged over the gateways. */
export function observe(reports: readonly GatewayReport[], fn: string): Map<string, Observation> {
  const merged = new Map<string, Observation & { weighted: number }>();
  for (const report of reports) {
    const backends = report.functions[fn]?.backends;
    if (typeof backends !== 'object' || backends === null) continue;
    for (const [address, load] of Object.entries(backends)) {
      const seen = answered(load);
      if (seen === undefined) continue; // no answered request: no response time
      const m = merged.get(address) ?? { weighted: 0, rtMs: 0, requests: 0, atMs: -Infinity, windowMs: 0 };
      m.weighted += seen.requests * seen.p50;
      m.requests += seen.requests;
      if (report.timeMs > m.atMs) [m.atMs, m.windowMs] = [report.timeMs, report.windowMs];
      merged.set(address, m);
    }
  }
  return new Map([...merged].map(([address, { weighted, requests, atMs, windowMs }]) => [address, { rtMs: weighted / requests, requests, atMs, windowMs }]));
}

/** The median of `values`, undefined when there are none. */
function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The averages of the `listed` backends after `observed` (the averages of
 * backends no longer listed are forgotten). `windowMs` is the EWMA's window.
 */
export function updateAverages(
  previous: ReadonlyMap<string, Average>,
  observed: ReadonlyMap<string, Observation>,
  listed: readonly string[],
  windowMs: number,
): Map<string, Average> {
  const next = new Map<string, Average>();
  for (const address of listed) {
    const had = previous.get(address);
    if (had !== undefined) next.set(address, had);
  }
  const seed = median([...next.values()].map((a) => a.rtMs));
  for (const address of listed) {
    const o = observed.get(address);
    if (o === undefined) continue;
    const had = next.get(address) ?? (seed === undefined ? undefined : { rtMs: seed, atMs: o.atMs - o.windowMs });
    if (had === undefined) {
      next.set(address, { rtMs: o.rtMs, atMs: o.atMs });
      continue;
    }
    // Gateways report at different moments: a report older than the one last used is still one new window.
    const dt = o.atMs > had.atMs ? o.atMs - had.atMs : o.windowMs;
    const alpha = 1 - Math.exp(-dt / windowMs);
    next.set(address, { rtMs: had.rtMs + alpha * (o.rtMs - had.rtMs), atMs: Math.max(had.atMs, o.atMs) });
  }
  return next;
}

/**
 * The new weights of `listed` (whose weights are `current`): see the module
 * comment. `observed` are the backends with traffic in this round's reports.
 */
export function lrtWeights(
  listed: readonly string[],
  current: readonly number[],
  averages: ReadonlyMap<string, Average>,
  observed: ReadonlyMap<string, unknown>,
  scaling: number,
): number[] {
  const rt = (address: string) => Math.max(averages.get(address)!.rtMs, MIN_RT_MS);
  let rtMin = Infinity;
  listed.forEach((address, i) => {
    if (current[i]! > 0 && averages.has(address)) rtMin = Math.min(rtMin, rt(address));
  });
  return listed.map((address, i) => {
    const weight = current[i]!;
    if (weight === 0 || !observed.has(address) || !averages.has(address)) return weight;
    const raw = Math.max(1, MAX_WEIGHT / Math.pow(rt(address) / rtMin, scaling));
    return Math.round(raw * 100) / 100;
  });
}

/** True when some weight moves by more than `threshold` (a fraction) of itself. */
export function changedEnough(current: readonly number[], next: readonly number[], threshold: number): boolean {
  return next.some((w, i) => {
    const old = current[i]!;
    return w !== old && (old === 0 || Math.abs(w - old) > threshold * old);
  });
}
