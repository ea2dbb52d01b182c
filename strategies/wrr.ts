/**
 * `wrr`: weighted round robin. Over any window of `sum(weights)` consecutive
 * picks each backend gets exactly its weight (weights divided by their gcd),
 * spread out rather than in bursts. Decimal weights are first made whole in
 * the same proportions (`whole-weights.ts`: 1.5 : 2.25 : 0.25 → 6 : 9 : 1).
 *
 * Algorithm and cost (`wrr-schedule.ts`):
 * - Short periods: smooth WRR (nginx), precomputed when `period × n` fits
 *   {@link BUILD_BUDGET}; 5:1:1 gives `a a b a c a a`.
 * - Longer periods up to {@link MAX_SCHEDULE}: earliest deadline first with a
 *   heap (Traefik), precomputed in O(period × log n) when that fits the budget
 *   (1,000 backends of weights 1..10: a 5,500-pick period, ~1-3 ms on Node).
 * - Still longer: the EDF heap stepped live, O(log n) per pick.
 * So `pick` is O(1) from a stored schedule (the same cost for 2 or 1,000
 * backends) and allocates nothing. No update costs more than the budget, so a
 * store writer cannot stall golb for long with 10,000 backends of odd weights;
 * but a build at the budget is not free: measured 9-18 ms on Node (one
 * function's update blocks the event loop that long; updates that change
 * nothing reuse the picker and cost nothing).
 *
 * Availability (`availability.ts`): a scheduled backend that is down or
 * already tried is skipped by moving on through the schedule (at most
 * {@link MAX_SKIP} steps), which keeps the proportions among the usable ones;
 * beyond that an O(n) scan, then panic routing.
 *
 * Updates keep the rotation: identical backends and weights return the previous
 * picker itself; changed weights continue at the same fraction of the new
 * period rather than restarting it (a restart on every update would starve the
 * backends late in the sequence when an optimiser writes often).
 * @module
 */
import type { Backend, PickContext, Picker, Strategy } from './strategy.ts';
import { EdfStepper, edfSchedule, smoothSchedule } from './wrr-schedule.ts';
import { allUsable, nextUsableIndex, panicPick, registryOf, usable } from './availability.ts';
import { wholeWeights } from './whole-weights.ts';
import type { BackendStates } from './backend-state.ts';

/** Longest period stored as a precomputed schedule. */
export const MAX_SCHEDULE = 1 << 16;
/**
 * Most work one update may cost, counted as smooth-WRR steps × backends, or
 * EDF steps × heap depth × {@link EDF_LEVEL_COST}: 2^22 units, a build of
 * roughly 10-20 ms on Node (measured 9-18 ms), less for smaller schedules.
 */
export const BUILD_BUDGET = 1 << 22;
/** One EDF heap level costs about as much as this many smooth-WRR backend visits (measured). */
export const EDF_LEVEL_COST = 8;
/** Schedule steps a pick walks past unusable backends before scanning. */
export const MAX_SKIP = 128;

/** Weighted round robin over a fixed backend list. */
export class WrrPicker implements Picker {
  readonly backends: readonly Backend[];
  /** Weights made whole (decimals scaled) and divided by their gcd. */
  readonly weights: readonly number[];
  /** Sum of the reduced weights: the period. 0 when every backend drains. */
  readonly period: number;
  private readonly schedule: Uint16Array | Uint32Array | undefined;
  private readonly live: EdfStepper | undefined;
  /** Position within the period of the next pick. */
  position = 0;
  /** Where the O(n) fallback scan starts, so that it rotates too. */
  private scanFrom = 0;
  /** The registry of the backends' states (the fast path's health summary). */
  private readonly registry: BackendStates | undefined;

  constructor(backends: readonly Backend[], startFraction: number) {
    this.backends = backends;
    this.registry = registryOf(backends);
    this.weights = wholeWeights(backends.map((b) => b.weight));
    this.period = this.weights.reduce((a, b) => a + b, 0);
    const depth = Math.ceil(Math.log2(backends.length + 1));
    if (this.period > 0 && this.period <= MAX_SCHEDULE && this.period * backends.length <= BUILD_BUDGET) {
      this.schedule = smoothSchedule(this.weights, this.period);
    } else if (this.period > 0 && this.period <= MAX_SCHEDULE && this.period * depth * EDF_LEVEL_COST <= BUILD_BUDGET) {
      this.schedule = edfSchedule(this.weights, this.period);
    }
    if (this.schedule !== undefined) {
      this.position = Math.floor(startFraction * this.period) % this.period;
    } else if (this.period > 0) {
      // EDF can start at any point of the period directly: O(n).
      this.live = new EdfStepper(this.weights, startFraction);
      this.position = this.live.startPosition % this.period;
    }
  }

  /** Where in the period the next pick is, in [0, 1). */
  fraction(): number {
    return this.period === 0 ? 0 : this.position / this.period;
  }

  /** True when `backends` are the same addresses with the same weights and states, in order. */
  sameAs(backends: readonly Backend[]): boolean {
    if (backends.length !== this.backends.length) return false;
    for (let i = 0; i < backends.length; i++) {
      const a = backends[i]!;
      const b = this.backends[i]!;
      if (a.address !== b.address || a.weight !== b.weight || a.gateway !== b.gateway || a.state !== b.state) return false;
    }
    return true;
  }

  /** The next scheduled backend index, advancing the rotation. */
  private step(): number {
    const at = this.position;
    this.position = at + 1 === this.period ? 0 : at + 1;
    const schedule = this.schedule;
    return schedule !== undefined ? schedule[at]! : this.live!.next();
  }

  pick(ctx: PickContext): Backend | undefined {
    if (this.period === 0) return undefined;
    // Every backend up and none tried: the scheduled one (the schedule holds
    // only weights above 0), read without touching any backend's memory.
    if (allUsable(ctx, this.registry)) return this.backends[this.step()];
    const limit = this.period < MAX_SKIP ? this.period : MAX_SKIP;
    for (let k = 0; k < limit; k++) {
      const b = this.backends[this.step()]!;
      if (usable(b, ctx)) return b;
    }
    // Most of the weight is unusable: any usable backend, then panic.
    const i = nextUsableIndex(this.backends, this.scanFrom, ctx);
    if (i < 0) return panicPick(this.backends, ctx);
    this.scanFrom = i + 1 === this.backends.length ? 0 : i + 1;
    return this.backends[i];
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
