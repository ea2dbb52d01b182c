/**
 * `p2c`: the power of two choices (Mitzenmacher 2001, "The power of two choices
 * in randomized load balancing"; Envoy's least-request balancer), weighted.
 *
 * Two distinct usable candidates: the first drawn by weight (alias table, as
 * `random`), the second uniformly among the others (always distinct in O(1),
 * where a second weighted draw would keep hitting a heavy first one). The one
 * with the lower load `inFlight / weight` wins, compared without division as
 * `inFlight_a × weight_b ≤ inFlight_b × weight_a`; ties go to the first, so an
 * idle function still spreads exactly in proportion to the weights (preferring
 * the heavier on ties would starve the lighter of two backends whenever there
 * is at most one request at a time). With one usable backend it is returned.
 *
 * Cost: O(1) per pick, two random numbers, no allocation; a drawn backend that
 * is unusable is redrawn up to `REDRAWS` times, then one O(n) weighted draw
 * among the usable. `build` is O(n). In-flight counts live in the shared
 * `BackendState`, so they survive weights updates by themselves. Nothing
 * usable: panic routing (`availability.ts`).
 * @module
 */
import type { Backend, PickContext, Picker, Strategy, StrategyDeps } from './strategy.ts';
import { AliasTable } from './alias-table.ts';
import { isAvailable, type BackendState, type BackendStates } from './backend-state.ts';
import { allUsable, panicPick, registryOf, wasTried, weightedUsable } from './availability.ts';
import { REDRAWS } from './random.ts';

/**
 * True when backend a (state, weight) should win over b at `now`; ties must
 * answer true. Reads states and weights only, not the `Backend` objects: one
 * memory access fewer per candidate when there are many backends.
 */
export type Prefer = (a: BackendState, wa: number, b: BackendState, wb: number, now: number) => boolean;

/** Lower in-flight per unit of weight; ties to `a`. */
export function lessLoaded(a: BackendState, wa: number, b: BackendState, wb: number): boolean {
  return loadNoHigher(a.inFlight, wa, b.inFlight, wb);
}

/** In-flight `la` at weight `wa` is no more per unit of weight than `lb` at `wb`. */
function loadNoHigher(la: number, wa: number, lb: number, wb: number): boolean {
  return la * wb <= lb * wa;
}

/** Two distinct usable candidates, the `prefer`red one wins. Shared with `ewma`. */
export class TwoChoicesPicker implements Picker {
  private readonly backends: readonly Backend[];
  /** `backends[i].state` and `.weight`, side by side for the hot path. */
  private readonly states: readonly BackendState[];
  private readonly weights: Float64Array;
  /** The states' in-flight slots, when `prefer` is {@link lessLoaded} (p2c): its loads are read from them. */
  private readonly slots: Int32Array | undefined;
  private readonly table: AliasTable;
  private readonly random: () => number;
  private readonly prefer: Prefer;

  /** The registry of the backends' states: their in-flight slots and the fast path's health summary. */
  private readonly registry: BackendStates | undefined;

  constructor(all: readonly Backend[], random: () => number, prefer: Prefer) {
    this.backends = all.filter((b) => b.weight > 0);
    this.registry = registryOf(this.backends);
    this.states = this.backends.map((b) => b.state);
    this.weights = Float64Array.from(this.backends, (b) => b.weight);
    this.slots = prefer === lessLoaded && this.states.every((st) => st.slot >= 0) ? Int32Array.from(this.states, (st) => st.slot) : undefined;
    this.table = new AliasTable(this.backends.map((b) => b.weight));
    this.random = random;
    this.prefer = prefer;
  }

  /** True when backend `i` may take the request (weights are all above 0 here); no state is read while every backend is up on a first attempt. */
  private ok(i: number, ctx: PickContext): boolean {
    if (allUsable(ctx, this.registry)) return true;
    const s = this.states[i]!;
    return isAvailable(s, ctx.now) && !wasTried(s, ctx.tried);
  }

  /** A usable index drawn by weight, up to `REDRAWS` times; -1 when none came up. */
  private first(ctx: PickContext): number {
    for (let k = 0; k < REDRAWS; k++) {
      const i = this.table.draw(this.random());
      if (this.ok(i, ctx)) return i;
    }
    return -1;
  }

  /** A usable index other than `a`, uniformly, up to `REDRAWS` times; -1 when none came up. */
  private second(a: number, ctx: PickContext): number {
    const last = this.backends.length - 1;
    for (let k = 0; k < REDRAWS; k++) {
      let j = Math.floor(this.random() * last);
      if (j === a) j = last;
      if (this.ok(j, ctx)) return j;
    }
    return -1;
  }

  pick(ctx: PickContext): Backend | undefined {
    const backends = this.backends;
    if (backends.length === 0) return undefined;
    const i = this.first(ctx);
    // Most of the weight unusable: an exact O(n) weighted draw among the usable, then panic.
    const a = i >= 0 ? backends[i]! : weightedUsable(backends, ctx, this.random());
    if (a === undefined) return panicPick(backends, ctx);
    if (backends.length === 1) return a;
    const j = i >= 0 ? this.second(i, ctx) : -1;
    if (j >= 0) {
      // Both drawn: compared through the side-by-side arrays, not the Backend objects.
      const { slots, weights } = this;
      if (slots !== undefined) {
        const registry = this.registry!;
        return loadNoHigher(registry.inFlightAt(slots[i]!), weights[i]!, registry.inFlightAt(slots[j]!), weights[j]!) ? a : backends[j];
      }
      return this.prefer(this.states[i]!, weights[i]!, this.states[j]!, weights[j]!, ctx.now) ? a : backends[j];
    }
    const b = weightedUsable(backends, ctx, this.random(), a);
    if (b === undefined) return a;
    return this.prefer(a.state, a.weight, b.state, b.weight, ctx.now) ? a : b;
  }
}

/** The `p2c` strategy. */
export const p2c = {
  name: 'p2c',
  build(backends, _previous, deps: StrategyDeps) {
    return new TwoChoicesPicker(backends, deps.random, lessLoaded);
  },
} satisfies Strategy;
