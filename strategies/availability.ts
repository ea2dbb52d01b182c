/**
 * Which backends a picker may hand out, shared by every strategy.
 *
 * A backend is usable for one request when its weight is above 0 (0 drains),
 * the request did not try it already (`ctx.tried`, compared by state object),
 * and {@link isAvailable} holds (no failing active probe, no running passive
 * mark). Strategies test their chosen backend with {@link usable} first (O(1),
 * no allocation: the fast path when everything is up) and only scan when it is
 * not usable. While every backend is up (`BackendStates.allAvailable`, O(1) over all
 * of them) no state is read: with 1,000 backends the states' memory is not in
 * the cache, and reading it made a `wrr` pick cost 1.23–1.28× a pick among 2.
 *
 * Panic routing (Envoy's "panic threshold", taken to its end): when no backend
 * is usable, a request still goes to the passively-marked backend whose mark
 * ends first, among those not tried and whose active probe does not fail them
 * ({@link panicPick}, O(n), only on this path). When every such backend is
 * actively unhealthy or tried there is nothing to pick: `undefined`, and the
 * route answers 503.
 * @module
 */
import { isAvailable, type BackendState, type BackendStates } from './backend-state.ts';
import type { Backend, PickContext } from './strategy.ts';

/** True when `state` is in `tried` (same object). O(retries). */
export function wasTried(state: BackendState, tried: readonly BackendState[] | undefined): boolean {
  if (tried === undefined) return false;
  for (let i = 0; i < tried.length; i++) if (tried[i] === state) return true;
  return false;
}

/**
 * True when every backend of weight above 0 may take this request: a first
 * attempt while all are up. O(1), no state read: the strategies' fast path.
 */
export function allUsable(ctx: PickContext, states: BackendStates | undefined): boolean {
  return ctx.tried === undefined && states !== undefined && states.allAvailable(ctx.now);
}

/** The registry the states of `backends` belong to (one per picker: a weight table's, or the node pool's). */
export function registryOf(backends: readonly Backend[]): BackendStates | undefined {
  return backends.length === 0 ? undefined : backends[0]!.state.registry;
}

/** True when `b` may take this request: weight above 0, available now, not tried. */
export function usable(b: Backend, ctx: PickContext): boolean {
  if (b.weight <= 0) return false;
  if (allUsable(ctx, b.state.registry)) return true;
  return isAvailable(b.state, ctx.now) && !wasTried(b.state, ctx.tried);
}

/**
 * Index of the first usable backend scanning cyclically from `start`, or -1.
 * O(n) in the worst case; runs only when the strategy's own choice was not usable.
 */
export function nextUsableIndex(backends: readonly Backend[], start: number, ctx: PickContext): number {
  const n = backends.length;
  for (let k = 0, i = start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
    if (usable(backends[i]!, ctx)) return i;
  }
  return -1;
}

/**
 * A usable backend other than `except`, drawn by weight with `r` in [0, 1):
 * the exact distribution among the usable ones. O(n): the slow path of the
 * random strategies once a few weighted draws found nothing usable.
 */
export function weightedUsable(backends: readonly Backend[], ctx: PickContext, r: number, except?: Backend): Backend | undefined {
  let total = 0;
  for (const b of backends) if (b !== except && usable(b, ctx)) total += b.weight;
  if (total === 0) return undefined;
  let x = r * total;
  let last: Backend | undefined;
  for (const b of backends) {
    if (b === except || !usable(b, ctx)) continue;
    last = b;
    x -= b.weight;
    if (x < 0) return b;
  }
  return last; // rounding: r*total landed on the total itself
}

/**
 * Panic routing: among backends of weight above 0, not tried and not failed by
 * the active probe, the one whose passive mark ends first (first on ties);
 * `undefined` when there is none. O(n), only when nothing is usable.
 */
export function panicPick(backends: readonly Backend[], ctx: PickContext): Backend | undefined {
  let best: Backend | undefined;
  let bestUntil = Infinity;
  for (const b of backends) {
    const s = b.state;
    if (b.weight === 0 || !s.healthy || wasTried(s, ctx.tried)) continue;
    if (s.downUntil < bestUntil) {
      best = b;
      bestUntil = s.downUntil;
    }
  }
  return best;
}
