/**
 * The `/function/:fn/*` route as one chain of handlers, built once per
 * process: the request id (`X-Request-Id`: `app/middleware/request-id.ts`),
 * the access log (only when `eb_go_lb_access_log` is on: off, the
 * chain has no link for it), the trace stream's lines (`app/traces/`: one
 * field read per request while nobody reads it), then gateway awareness (loops refused, the
 * forwarded mark read: `app/middleware/gateway-awareness.ts`), then fnlb's node pool for a function with no
 * weights entry (only when a pool is configured), then the function route,
 * whose picker is the function's strategy. Each link is a ProxyHandler →
 * ProxyHandler wrapper (`app/client-request.ts`).
 *
 * The same handler is mounted twice: golb's server calls it straight from
 * its fast route (a target under `/function/`, ahead of any web object), and
 * the Hono app mounts it as `/function/:fn/*` (`app/create-app.ts`), so both
 * answer alike. This module does not load Hono: the runtime entries build the
 * chain at start, and Hono only when a request needs it.
 * @module
 */
import type { ProxyHandler } from '../app/client-request.ts';
import type { AppDeps } from '../app/deps.ts';
import { withAccessLog } from '../app/metrics/access-log.ts';
import { withGatewayAwareness } from '../app/middleware/gateway-awareness.ts';
import { withRequestId } from '../app/middleware/request-id.ts';
import { withTraces } from '../app/traces/trace-entry.ts';
import { functionProxy } from './function-proxy.ts';
import { withPoolFallback } from './node-pool-proxy.ts';

/** The function route's chain for `deps`. */
export function functionRoute(deps: AppDeps): ProxyHandler {
  const aware = withGatewayAwareness(withPoolFallback(functionProxy(deps), deps), deps);
  // Inside the access log: its end listener is told first, the trace's line follows.
  const served = deps.traces === undefined ? aware : withTraces(aware, deps.traces, deps);
  // Decided once: with the access log off the handler is not wrapped at all.
  const logged = deps.config.accessLog ? withAccessLog(served, deps) : served;
  return deps.requestIds === undefined ? logged : withRequestId(logged, deps.requestIds);
}
