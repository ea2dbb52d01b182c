/**
 * The two weighted-round-robin sequences `wrr` uses.
 *
 * - Smooth WRR (nginx's `ngx_http_upstream_get_peer`): each step adds every
 *   weight to its backend's current value, picks the largest (first on ties)
 *   and subtracts the total from it. O(n) per step, so only used to precompute
 *   short schedules; it gives the classic sequences (5:1:1 → `a a b a c a a`).
 * - Earliest deadline first (Traefik's `wrr`, as a heap): the j-th pick of a
 *   backend of weight w within a period is due at (j − ½)/w; the heap hands out
 *   the earliest deadline (lowest index on ties). O(log n) per step. A deadline
 *   is a round number plus (2j − 1)/2w within the round, recomputed from the
 *   integer j rather than summed (exact ordering, see `due`), so the sequence is
 *   exactly periodic: over one period each backend gets exactly its weight,
 *   however long it runs (no float drift as in a summed 1/w).
 * @module
 */

/** The smooth WRR step over `current`, mutating it; returns the chosen index. */
function smoothStep(weights: readonly number[], current: Float64Array, total: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    const v = (current[i]! += w);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  current[best]! -= total;
  return best;
}

/** A fresh index array able to hold `n` distinct indices. */
function indexArray(length: number, n: number): Uint16Array | Uint32Array {
  return n <= 0xffff ? new Uint16Array(length) : new Uint32Array(length);
}

/** One whole period of smooth WRR (`period` = sum of `weights`): O(period × n). */
export function smoothSchedule(weights: readonly number[], period: number): Uint16Array | Uint32Array {
  const current = new Float64Array(weights.length);
  const seq = indexArray(period, weights.length);
  for (let i = 0; i < period; i++) seq[i] = smoothStep(weights, current, period);
  return seq;
}

/** One whole period of EDF: O(period × log n). */
export function edfSchedule(weights: readonly number[], period: number): Uint16Array | Uint32Array {
  const edf = new EdfStepper(weights, 0);
  const seq = indexArray(period, weights.length);
  for (let i = 0; i < period; i++) seq[i] = edf.next();
  return seq;
}

/** EDF weighted round robin stepped live: O(log n) per step, no allocation. */
export class EdfStepper {
  private readonly weights: readonly number[];
  /** Picks of each backend in its current round. */
  private readonly done: Float64Array;
  /** Each backend's round (period number). */
  private readonly round: Float64Array;
  /**
   * The next deadline within the round, (2·done + 1) / 2w = (j − ½)/w for the
   * next pick j = done + 1. Exact for ordering: two different such fractions
   * with w ≤ 10^6 differ by at least 1/(4·10^12), far above a double's
   * rounding, and equal ones divide to the same (correctly rounded) double.
   */
  private readonly due: Float64Array;
  /** Binary min-heap of backend indices ordered by next deadline. */
  private readonly heap: Uint32Array;
  private readonly size: number;
  /** Picks handed out within the current period (as of the start fraction). */
  readonly startPosition: number;

  /**
   * @param weights non-negative integers (0: never picked), made whole by `whole-weights.ts`
   * @param fraction where in the period to start, in [0, 1): each backend has
   *   had the picks whose deadline is at or before it
   */
  constructor(weights: readonly number[], fraction: number) {
    this.weights = weights;
    const n = weights.length;
    this.done = new Float64Array(n);
    this.round = new Float64Array(n);
    this.due = new Float64Array(n);
    this.heap = new Uint32Array(n);
    let size = 0;
    let position = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      // Deadlines (j − ½)/w at or before `fraction`: j ≤ fraction·w + ½.
      const had = Math.min(Math.floor(fraction * w + 0.5), w);
      position += had;
      if (had === w) this.round[i] = 1;
      else this.done[i] = had;
      this.setDue(i);
      this.heap[size++] = i;
    }
    this.size = size;
    this.startPosition = position;
    for (let k = (size >> 1) - 1; k >= 0; k--) this.siftDown(k);
  }

  /** True when backend `a`'s next deadline is before `b`'s (lower index on ties). */
  private before(a: number, b: number): boolean {
    const ra = this.round[a]!;
    const rb = this.round[b]!;
    if (ra !== rb) return ra < rb;
    const da = this.due[a]!;
    const db = this.due[b]!;
    return da !== db ? da < db : a < b;
  }

  /** Sets `due[i]` from `done[i]`: (j − ½)/w for the next pick j = done + 1. */
  private setDue(i: number): void {
    this.due[i] = (2 * this.done[i]! + 1) / (2 * this.weights[i]!);
  }

  private siftDown(k: number): void {
    const heap = this.heap;
    const size = this.size;
    const item = heap[k]!;
    for (;;) {
      let child = 2 * k + 1;
      if (child >= size) break;
      if (child + 1 < size && this.before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.before(heap[child]!, item)) break;
      heap[k] = heap[child]!;
      k = child;
    }
    heap[k] = item;
  }

  /** The next backend index; -1 when every weight is 0. */
  next(): number {
    if (this.size === 0) return -1;
    const top = this.heap[0]!;
    const done = this.done[top]! + 1;
    if (done === this.weights[top]) {
      this.done[top] = 0;
      this.round[top]!++;
    } else {
      this.done[top] = done;
    }
    this.setDue(top);
    this.siftDown(0);
    return top;
  }
}
