/**
 * `rr`: plain round robin over the backends whose weight is above 0 (weight
 * only drains; it does not skew).
 *
 * Cost: O(1) per pick, no allocation, while the backend in turn is usable; when
 * it is down or already tried the rotation moves on to the next usable one
 * (O(n) worst case, only then), so the rotation continues among the usable
 * backends. Nothing usable: panic routing (`availability.ts`).
 *
 * An update keeps the position modulo the new length.
 * @module
 */
import type { Backend, PickContext, Picker, Strategy } from './strategy.ts';
import { allUsable, nextUsableIndex, panicPick, registryOf, usable } from './availability.ts';
import type { BackendStates } from './backend-state.ts';

/** Round robin over the non-drained backends. */
export class RrPicker implements Picker {
  private readonly active: readonly Backend[];
  position: number;

  /** The registry of the backends' states (the fast path's health summary). */
  private readonly registry: BackendStates | undefined;

  constructor(backends: readonly Backend[], position: number) {
    this.active = backends.filter((b) => b.weight > 0);
    this.registry = registryOf(this.active);
    this.position = this.active.length === 0 ? 0 : position % this.active.length;
  }

  pick(ctx: PickContext): Backend | undefined {
    const n = this.active.length;
    if (n === 0) return undefined;
    let i = this.position;
    // Every backend up and none tried: the one in turn, with no state read.
    if (!allUsable(ctx, this.registry) && !usable(this.active[i]!, ctx)) {
      i = nextUsableIndex(this.active, i, ctx);
      if (i < 0) return panicPick(this.active, ctx);
    }
    this.position = i + 1 === n ? 0 : i + 1;
    return this.active[i];
  }
}

/** The `rr` strategy. */
export const rr = {
  name: 'rr',
  build(backends, previous, _deps) {
    return new RrPicker(backends, previous instanceof RrPicker ? previous.position : 0);
  },
} satisfies Strategy;
