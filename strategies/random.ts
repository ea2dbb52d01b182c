/**
 * `random`: weighted random choice with Vose's alias method (Vose 1991,
 * "A linear algorithm for generating random numbers with a given distribution").
 * `build` is O(n); `pick` is O(1): one random number picks a column and decides
 * between the column's backend and its alias. Randomness is injected.
 * @module
 */
import type { Backend, Picker, Strategy, StrategyDeps } from './strategy.ts';

/** Weighted random choice in O(1). */
export class RandomPicker implements Picker {
  private readonly backends: readonly Backend[];
  private readonly prob: Float64Array;
  private readonly alias: Uint32Array;
  private readonly random: () => number;

  constructor(all: readonly Backend[], random: () => number) {
    this.random = random;
    this.backends = all.filter((b) => b.weight > 0);
    const n = this.backends.length;
    this.prob = new Float64Array(n);
    this.alias = new Uint32Array(n);
    const total = this.backends.reduce((a, b) => a + b.weight, 0);
    const scaled = this.backends.map((b) => (b.weight * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1; // rounding leftovers
  }

  pick(): Backend | undefined {
    const n = this.backends.length;
    if (n === 0) return undefined;
    const x = this.random() * n;
    const column = Math.min(Math.floor(x), n - 1);
    const index = x - column < this.prob[column]! ? column : this.alias[column]!;
    return this.backends[index];
  }
}

/** The `random` strategy. */
export const random = {
  name: 'random',
  build(backends, _previous, deps: StrategyDeps) {
    return new RandomPicker(backends, deps.random);
  },
} satisfies Strategy;
