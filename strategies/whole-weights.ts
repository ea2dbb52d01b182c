/**
 * Whole-number weights for `wrr`, whose schedules count picks: a period of
 * `sum(weights)` picks in which each backend gets exactly its weight needs
 * integers. Optimisers write decimals (1.5, 33.33), so `wrr` turns the
 * weights into integers in the same proportions, divided by their gcd:
 *
 * - integers stay as they are (so their pick sequences are the same as ever);
 * - decimals are multiplied by the smallest power of ten, up to 10^{@link MAX_DECIMALS},
 *   that makes every weight whole while the largest stays at most
 *   {@link MAX_WHOLE_WEIGHT}: exact (1.5 : 2.25 : 0.25 → 150 : 225 : 25 → 6 : 9 : 1);
 * - otherwise (1/3 written as 0.3333333333333333, or more decimals than that)
 *   the largest weight becomes {@link MAX_WHOLE_WEIGHT} and the others are
 *   rounded in proportion, at least 1: each share is then off by at most one
 *   part in two million of the largest weight.
 *
 * A weight of 0 stays 0 (drained) and a weight above 0 never becomes 0. The
 * largest whole weight stays at most 10^6, the bound the EDF schedule's exact
 * ordering is proven for (`wrr-schedule.ts`). Cost: O(n × MAX_DECIMALS), once
 * per weights update.
 * @module
 */

/** Most decimal places scaled exactly. */
export const MAX_DECIMALS = 6;
/** Largest whole weight a scaling may produce (golb's largest accepted weight). */
export const MAX_WHOLE_WEIGHT = 1_000_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Integers divided by their gcd (all 0 stays all 0). */
function reduced(integers: readonly number[]): number[] {
  const g = integers.reduce((acc, w) => gcd(acc, w), 0) || 1;
  return integers.map((w) => w / g);
}

/** True when `x` is a whole number up to the rounding of a decimal read from JSON and scaled. */
function nearlyWhole(x: number): boolean {
  return Math.abs(x - Math.round(x)) <= 1e-9 * Math.max(1, x);
}

/**
 * Non-negative integers in the proportions of `weights` (finite, non-negative),
 * divided by their gcd; see the module comment for how decimals are scaled.
 */
export function wholeWeights(weights: readonly number[]): number[] {
  if (weights.every((w) => Number.isInteger(w))) return reduced(weights);
  let largest = 0;
  for (const w of weights) if (w > largest) largest = w;
  for (let k = 1, scale = 10; k <= MAX_DECIMALS && largest * scale <= MAX_WHOLE_WEIGHT; k++, scale *= 10) {
    const scaled = weights.map((w) => w * scale);
    if (scaled.every(nearlyWhole)) return reduced(scaled.map(Math.round));
  }
  return reduced(weights.map((w) => (w === 0 ? 0 : Math.max(1, Math.round((w / largest) * MAX_WHOLE_WEIGHT)))));
}
