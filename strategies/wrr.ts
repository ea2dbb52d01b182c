/**
 * `wrr`: smooth weighted round robin (nginx's `ngx_http_upstream_get_peer`).
 *
 * Each step adds every backend's weight to its current weight, picks the
 * largest (first on ties) and subtracts the total from it. Over any window of
 * `sum(weights)` consecutive picks each backend gets exactly its weight, spread
 * out: 5:1:1 gives `a a b a c a a`.
 *
 * Cost: `build` runs the algorithm once over a whole period (weights divided by
 * their gcd) and stores the sequence, so `pick` is O(1) and allocates nothing.
 * A period longer than {@link MAX_SCHEDULE}, or one whose computation would
 * exceed {@link BUILD_BUDGET}, is not stored; those pickers step the
 * algorithm live, O(n) per pick.
 *
 * Updates keep the rotation: identical backends and weights continue exactly
 * where they were; changed weights continue at the same fraction of the new
 * period rather than restarting it (a restart on every update would starve the
 * backends late in the sequence when an optimiser writes often).
 * @module
 */
import type { Backend, Picker, Strategy } from './strategy.ts';

/** Longest period stored as a precomputed schedule. */
export const MAX_SCHEDULE = 1 << 16;
/**
 * Most smooth-WRR steps × backends one update may cost (a few ms): a store
 * writer must not be able to stall golb with 10,000 backends of odd weights.
 */
export const BUILD_BUDGET = 1 << 22;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

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

/** Weighted round robin over a fixed backend list. */
export class WrrPicker implements Picker {
  readonly backends: readonly Backend[];
  /** Weights divided by their gcd. */
  readonly weights: readonly number[];
  /** Sum of the reduced weights: the period. 0 when every backend drains. */
  readonly period: number;
  private readonly schedule: Uint16Array | Uint32Array | undefined;
  private readonly current: Float64Array;
  /** Position within the period of the next pick. */
  position = 0;

  constructor(backends: readonly Backend[], startFraction: number) {
    this.backends = backends;
    const g = backends.reduce((acc, b) => gcd(acc, b.weight), 0) || 1;
    this.weights = backends.map((b) => b.weight / g);
    this.period = this.weights.reduce((a, b) => a + b, 0);
    this.current = new Float64Array(backends.length);
    if (this.period > 0 && this.period <= MAX_SCHEDULE && this.period * backends.length <= BUILD_BUDGET) {
      const seq = backends.length <= 0xffff ? new Uint16Array(this.period) : new Uint32Array(this.period);
      for (let i = 0; i < this.period; i++) seq[i] = smoothStep(this.weights, this.current, this.period);
      this.schedule = seq;
      this.position = Math.floor(startFraction * this.period) % this.period;
    } else {
      this.schedule = undefined;
      // Live stepping: advance to the same fraction of the period (bounded work).
      const skip = Math.min(Math.floor(startFraction * this.period), Math.floor(BUILD_BUDGET / Math.max(1, backends.length)));
      for (let i = 0; i < skip; i++) smoothStep(this.weights, this.current, this.period);
      this.position = skip;
    }
  }

  /** Where in the period the next pick is, in [0, 1). */
  fraction(): number {
    return this.period === 0 ? 0 : this.position / this.period;
  }

  /** True when `other` has the same backends with the same weights, in order. */
  sameAs(backends: readonly Backend[]): boolean {
    if (backends.length !== this.backends.length) return false;
    for (let i = 0; i < backends.length; i++) {
      const a = backends[i]!;
      const b = this.backends[i]!;
      if (a.address !== b.address || a.weight !== b.weight || a.gateway !== b.gateway) return false;
    }
    return true;
  }

  pick(): Backend | undefined {
    if (this.period === 0) return undefined;
    const schedule = this.schedule;
    if (schedule !== undefined) {
      const index = schedule[this.position]!;
      this.position = this.position + 1 === this.period ? 0 : this.position + 1;
      return this.backends[index];
    }
    this.position = this.position + 1 === this.period ? 0 : this.position + 1;
    return this.backends[smoothStep(this.weights, this.current, this.period)];
  }
}

/** The `wrr` strategy. */
export const wrr = {
  name: 'wrr',
  build(backends, previous, _deps) {
    if (previous instanceof WrrPicker) {
      // Same backends, same weights: the old picker is this picker; keep it.
      if (previous.sameAs(backends)) return previous;
      return new WrrPicker(backends, previous.fraction());
    }
    return new WrrPicker(backends, 0);
  },
} satisfies Strategy;
