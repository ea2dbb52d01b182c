/**
 * Management reads share a budget of bytes written per second, so that
 * polling them in a loop cannot take the event loop from the proxied traffic.
 *
 * Built once a second and shared (`app/answer-cache.ts`), an answer costs
 * little to compute, but writing it still costs its size: eight pollers in a
 * loop on a 1.6 MB `/metrics` made golb write over a gigabyte a second. Each
 * read is charged its body's length plus a fixed {@link READ_OVERHEAD_BYTES}
 * (the request's own handling); while the budget is spent, answers wait in
 * arrival order, and one that would wait longer than {@link READ_MAX_WAIT_MS}
 * is refused with 503 and `Retry-After` instead. An idle budget lets any one
 * answer go at once, however large. A scraper every few seconds and
 * dashboards polling every second never wait; a loop of pollers slows to the
 * budget.
 *
 * The budget is the generic cell rate algorithm (ITU-T I.371): a theoretical
 * arrival time moves forward by each admitted cost; a read may go while it is
 * less than one second ahead of now.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError, errorResponse, type ErrorOrigin } from '../errors.ts';
import { isReadMethod } from './admin-auth.ts';

/** Bytes of management answers golb writes per second, at most, over any second. */
export const READ_BUDGET_BYTES_PER_SECOND = 16 * 1024 * 1024;

/** What a read costs besides its body, in bytes of the budget. */
export const READ_OVERHEAD_BYTES = 16 * 1024;

/** Longest a read waits for the budget before it is refused, ms. */
export const READ_MAX_WAIT_MS = 5_000;

/** Options of {@link ReadBudget}. */
export interface ReadBudgetOptions {
  bytesPerSecond?: number;
  overheadBytes?: number;
  maxWaitMs?: number;
}

/** The shared budget of management reads. */
export class ReadBudget {
  private readonly bytesPerMs: number;
  private readonly overhead: number;
  /** Longest a read may wait, ms. */
  readonly maxWaitMs: number;
  /** When the budget spent so far is paid off, ms on the caller's clock. */
  private paidOff = -Infinity;

  constructor(options: ReadBudgetOptions = {}) {
    this.bytesPerMs = (options.bytesPerSecond ?? READ_BUDGET_BYTES_PER_SECOND) / 1000;
    this.overhead = options.overheadBytes ?? READ_OVERHEAD_BYTES;
    this.maxWaitMs = options.maxWaitMs ?? READ_MAX_WAIT_MS;
  }

  /**
   * Charges a read of `bytes` at `now` (monotonic ms).
   * @returns ms to wait before writing it (0: at once), or undefined when that
   *   would be over the longest wait; then nothing is charged
   */
  reserve(bytes: number, now: number): number | undefined {
    const cost = (bytes + this.overhead) / this.bytesPerMs;
    // Idle: this read goes at once whatever its size; what it cost delays the next ones.
    if (this.paidOff <= now) {
      this.paidOff = now + cost;
      return 0;
    }
    const wait = Math.max(0, this.paidOff + cost - 1000 - now);
    if (wait > this.maxWaitMs) return undefined;
    this.paidOff += cost;
    return wait;
  }
}

/** What {@link readBudget} needs. */
export interface ReadBudgetDeps {
  budget: ReadBudget;
  /** Monotonic ms. */
  now(): number;
  /** Waits `ms` (tests pass a recorder). */
  wait?(ms: number): Promise<unknown>;
  origin: ErrorOrigin;
}

/**
 * Middleware charging each read (GET, HEAD) its answer's `content-length`
 * (the overhead alone when it has none) and holding the answer until the
 * budget allows it, or answering 503 when that would take too long.
 */
export function readBudget(deps: ReadBudgetDeps): MiddlewareHandler {
  const wait = deps.wait ?? sleep;
  return async function managementReadBudget(c, next) {
    await next();
    if (!isReadMethod(c.req.method)) return;
    const length = Number(c.res.headers.get('content-length'));
    const ms = deps.budget.reserve(Number.isFinite(length) ? length : 0, deps.now());
    if (ms === undefined) {
      await c.res.body?.cancel().catch(() => undefined);
      const res = errorResponse(new GatewayError('overloaded', 'management reads are over their budget: try again later'), deps.origin);
      res.headers.set('retry-after', String(Math.ceil(deps.budget.maxWaitMs / 1000)));
      c.res = undefined;
      c.res = res;
      return;
    }
    if (ms > 0) await wait(ms);
  };
}
