/**
 * Vose's alias method (Vose 1991, "A linear algorithm for generating random
 * numbers with a given distribution"): a weighted draw in O(1) from one
 * uniform number. Built in O(n) once per weights update; used by `random`,
 * `p2c` and `ewma`.
 * @module
 */

/** A table drawing index `i` with probability `weights[i] / sum(weights)`. */
export class AliasTable {
  /** Number of columns (entries of `weights`). */
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Uint32Array;

  /** @param weights positive numbers; an empty list draws nothing. */
  constructor(weights: readonly number[]) {
    const n = weights.length;
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Uint32Array(n);
    const total = weights.reduce((a, b) => a + b, 0);
    const scaled = weights.map((w) => (w * n) / total);
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

  /** The index drawn by `r` in [0, 1): `r * n` picks a column, its fraction decides column or alias. */
  draw(r: number): number {
    const n = this.size;
    const x = r * n;
    const column = Math.min(Math.floor(x), n - 1);
    return x - column < this.prob[column]! ? column : this.alias[column]!;
  }
}
