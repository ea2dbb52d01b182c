/**
 * `ewma`: peak-EWMA latency balancing (Finagle's `PeakEwma`, Linkerd's
 * `PeakEwma` balancer): prefers backends that answer fast and have little in
 * flight.
 *
 * Each backend's cost is `latency × (inFlight + 1) / weight`, where `latency`
 * is the peak-EWMA of its time to response head kept in `BackendState`
 * (`requestEnded`: a slower sample replaces the average at once, faster ones
 * pull it down over `EWMA_DECAY_MS`). As in Finagle, the average is read
 * decayed towards 0 by the time since its last sample, `× exp(−Δt / decay)`, so
 * a backend that was slow once and then got no traffic is tried again in the
 * end instead of being shunned for ever.
 *
 * A backend never sampled (a new pod) is scored with the latency of the
 * backend it is compared with (or 1 when neither has a sample): it competes on
 * load alone until its first answer, so it gets tried without being flooded,
 * and no constant has to guess what "fast" means for a function.
 *
 * Power of two choices over that cost rather than a scan (Linkerd's choice):
 * two distinct usable backends drawn by weight, the cheaper wins (ties to the
 * first drawn). Cost: O(1) per pick, no allocation; `build` O(n). Latency and
 * in-flight live in the shared `BackendState`, so they survive weights updates.
 * Nothing usable: panic routing (`availability.ts`).
 * @module
 */
import type { Strategy, StrategyDeps } from './strategy.ts';
import { EWMA_DECAY_MS, type BackendState } from './backend-state.ts';
import { TwoChoicesPicker } from './p2c.ts';

/** Lowest latency a cost is computed with, ms: keeps the in-flight factor meaningful. */
export const LATENCY_FLOOR_MS = 0.001;

/** The latency average as read at `now` (decayed since its last sample); -1 when never sampled. */
export function currentLatency(state: BackendState, now: number): number {
  if (state.lastSampleAt === 0) return -1;
  const age = now - state.lastSampleAt;
  return age > 0 ? state.latencyMs * Math.exp(-age / EWMA_DECAY_MS) : state.latencyMs;
}

/** True when `a` costs no more than `b`: `latency × (inFlight + 1) / weight`, compared without division. */
export function cheaper(a: BackendState, wa: number, b: BackendState, wb: number, now: number): boolean {
  let la = currentLatency(a, now);
  let lb = currentLatency(b, now);
  if (la < 0) la = lb < 0 ? 1 : lb;
  if (lb < 0) lb = la;
  // A 0 ms average (coarse clock, or decayed) would make in-flight irrelevant.
  if (la < LATENCY_FLOOR_MS) la = LATENCY_FLOOR_MS;
  if (lb < LATENCY_FLOOR_MS) lb = LATENCY_FLOOR_MS;
  return la * (a.inFlight + 1) * wb <= lb * (b.inFlight + 1) * wa;
}

/** The `ewma` strategy. */
export const ewma = {
  name: 'ewma',
  build(backends, _previous, deps: StrategyDeps) {
    return new TwoChoicesPicker(backends, deps.random, cheaper);
  },
} satisfies Strategy;
