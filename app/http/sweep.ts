/**
 * The timeout sweep both sides use (`server/http1-server.ts` for client
 * connections, `proxy/http1-client.ts` for upstream ones): no timer per
 * connection or request, but one repeating timer per server or client that
 * counts ticks. A connection stamps the current tick on activity (no clock is
 * read on the request path), and each sweep closes the connections silent for
 * more ticks than their phase allows. The period is 1/8 of the shortest
 * timeout, between {@link SWEEP_MIN_MS} and {@link SWEEP_MAX_MS}, so a timeout
 * fires at most an eighth of itself late, and never early ({@link ticksFor}).
 * @module
 */
import type { Timers } from '../timers.ts';

/** The repeating half of the world's timers (`AppDeps.timer`): tests may drive their own. */
export type Timer = Pick<Timers, 'every' | 'cancel'>;

/** Longest and shortest time between two sweeps. */
export const SWEEP_MAX_MS = 1000;
export const SWEEP_MIN_MS = 10;

/** Milliseconds between two sweeps for timeouts the shortest of which is `shortestMs`. */
export function sweepPeriod(shortestMs: number): number {
  return Math.max(SWEEP_MIN_MS, Math.min(SWEEP_MAX_MS, Math.floor(shortestMs / 8)));
}

/** Silent ticks allowed for a timeout of `ms`: one more than it spans, so it never fires early. */
export function ticksFor(ms: number, periodMs: number): number {
  return Math.ceil(ms / periodMs) + 1;
}
