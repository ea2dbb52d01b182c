/**
 * `rr`: plain round robin over the backends whose weight is above 0 (weight
 * only drains; it does not skew). O(1) per pick, no allocation. An update keeps
 * the position modulo the new length.
 * @module
 */
import type { Backend, Picker, Strategy } from './strategy.ts';

/** Round robin over the non-drained backends. */
export class RrPicker implements Picker {
  private readonly active: readonly Backend[];
  position: number;

  constructor(backends: readonly Backend[], position: number) {
    this.active = backends.filter((b) => b.weight > 0);
    this.position = this.active.length === 0 ? 0 : position % this.active.length;
  }

  pick(): Backend | undefined {
    const n = this.active.length;
    if (n === 0) return undefined;
    const b = this.active[this.position]!;
    this.position = this.position + 1 === n ? 0 : this.position + 1;
    return b;
  }
}

/** The `rr` strategy. */
export const rr = {
  name: 'rr',
  build(backends, previous, _deps) {
    return new RrPicker(backends, previous instanceof RrPicker ? previous.position : 0);
  },
} satisfies Strategy;
