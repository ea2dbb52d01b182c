/**
 * The per-endpoint circuit breaker handed to the etcd3 client
 * (`faultHandling.host`). etcd3's default skips an endpoint for 5 s after 3
 * failures in a row; when a single etcd comes back, that alone held golb off
 * it for up to 5 s on top of golb's own backoff. This one skips a failing
 * endpoint for 1 s, long enough for the client to prefer the other members of
 * a cluster, short enough not to delay the catch-up after an outage.
 *
 * It implements only what etcd3's connection pool calls: `execute(fn)`. A
 * skipped call rejects without running `fn`, which the pool reads as "try the
 * next endpoint".
 * @module
 */
import { isRecoverableError, type IOptions } from 'etcd3';

/** Failures in a row that open the breaker. */
export const BREAKER_FAILURES = 3;
/** How long an open breaker skips its endpoint. */
export const BREAKER_OPEN_MS = 1_000;

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/** Builds the breaker of one endpoint; `now` is wall-clock milliseconds. */
export function hostBreaker(host: string, now: () => number): HostPolicy {
  let failures = 0;
  let openUntil = 0;
  /** What the last failure said: a skipped call names it, so the log shows the cause (connection refused, ...), not only the skip. */
  let lastReason = '';
  const policy = {
    async execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      if (failures >= BREAKER_FAILURES && now() < openUntil) {
        throw new Error(`etcd endpoint ${host} skipped for ${BREAKER_OPEN_MS} ms after ${failures} failures (last: ${lastReason})`);
      }
      try {
        const result = await fn({ signal: new AbortController().signal });
        failures = 0;
        return result;
      } catch (err) {
        if (err instanceof Error && isRecoverableError(err)) {
          failures++;
          lastReason = err.message;
          if (failures >= BREAKER_FAILURES) openUntil = now() + BREAKER_OPEN_MS;
        }
        throw err;
      }
    },
  };
  // etcd3 types the option as a full cockatiel policy; its pool only calls execute().
  return policy as unknown as HostPolicy;
}
