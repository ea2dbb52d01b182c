/**
 * Requests for fnlb's node pool (docs/management.md): every path that is
 * not golb's own (`/function/…`, `/1/lb/…`, `/healthz`, `/readyz`, `/metrics`)
 * — the Fn API's `/r/<app>/<route>`, `/v1/...` — keyed by its path, and every
 * `/function/<fn>` whose function has no weights entry, keyed by the function
 * name. The pool picks a node by consistent hashing on that key, so one path
 * (one function) stays hot on one node while it is up. The node receives the
 * original path and query, untouched, as fnlb forwards them.
 *
 * Proxying is the function route's: the same engine, the same header rewriting
 * (`Via`, `X-Forwarded-*`, the seed's headers), the same loop check (the
 * gateway-awareness middleware wraps both routes), passive
 * health marks on the pool's own states, and retries on another node under the
 * same rules (`app/forwarding/retry.ts`): both routes send through `app/forwarding/forward.ts`.
 * @module
 */
import { CHUNKED_BODY, declaredBody, type ClientRequest, type ProxyHandler, type ReplyTarget } from '../app/client-request.ts';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError, errorResponse } from '../app/errors.ts';
import type { NodePool } from '../app/pool/node-pool.ts';
import { forwarder, forwardWithRetries } from '../app/forwarding/forward.ts';
import { parseFunctionTarget } from '../app/function-name.ts';
import { withGatewayAwareness } from '../app/middleware/gateway-awareness.ts';

/** The name pool requests that are not a function's are counted under (not a valid function name). */
export const POOL_LABEL = '_pool';

/** True when `path` (no query) is one of golb's own: never sent to the pool. */
export function isGolbPath(path: string): boolean {
  const own = (prefix: string) => path === prefix || path.startsWith(prefix + '/');
  return own('/function') || own('/1/lb') || path === '/healthz' || path === '/readyz' || path === '/metrics';
}

/** Sends one request to the pool and answers `to`; never throws. `key` is what the pool hashes, `target` what the node receives. */
export type PoolHandler = (req: ClientRequest, key: string, label: string, target: string, to: ReplyTarget) => void;

/** The pool's proxy handler. */
export function poolProxy(deps: AppDeps, pool: NodePool): PoolHandler {
  const { config, monotonic } = deps;
  const { maxBodySize } = config;
  const fwd = forwarder(deps, true);
  const answerError = fwd.answer;

  // A refusal throws (answered below); an accepted request is answered by `forwardWithRetries`, which never throws.
  function send(req: ClientRequest, key: string, label: string, target: string, to: ReplyTarget): void {
    const fn = label === POOL_LABEL ? undefined : label;
    const declared = declaredBody(req, maxBodySize, fn);
    const bodyLength = declared < 0 ? undefined : declared;
    const hasBody = declared === CHUNKED_BODY || declared > 0;

    const picker = pool.picker();
    const started = monotonic();
    const first = picker?.pick({ fn: label, key, now: started, tried: undefined });
    if (picker === undefined || first === undefined) throw new GatewayError('no_backend', 'no node of the pool can take the request', fn);
    // Pool nodes are never gateways: both targets are the original path, and
    // the request is sent as a client's whatever mark it carries.
    forwardWithRetries(fwd, {
      req, picker, first, started, label, key, fn,
      podTarget: target, fullTarget: target, hasBody, bodyLength, forwarded: false, forwardedBy: null,
    }, to);
  }

  return function proxyToPool(req, key, label, target, to) {
    try {
      send(req, key, label, target, to);
    } catch (err) {
      to.reply(answerError(err));
    }
  };
}

/**
 * The traffic port's catch-all: a path that is not golb's own goes to the pool,
 * keyed by its path; golb's own paths that no route took, and any path while
 * the pool is empty, are 404. Loops are refused first, as on the function route.
 */
export function poolRoute(deps: AppDeps): ProxyHandler {
  return withGatewayAwareness(poolCatchAll(deps), deps);
}

function poolCatchAll(deps: AppDeps): ProxyHandler {
  const pool = deps.pool;
  const send = pool === undefined ? undefined : poolProxy(deps, pool);
  const origin = { zone: deps.config.zone, node: deps.config.nodeName };
  return function poolCatchAll(req, to) {
    const target = req.target;
    const queryStart = target.indexOf('?');
    const path = queryStart < 0 ? target : target.slice(0, queryStart);
    if (send === undefined || pool === undefined || pool.size === 0 || isGolbPath(path)) {
      to.reply(errorResponse(new GatewayError('unknown_function', 'no route for this path'), origin));
      return;
    }
    send(req, path, POOL_LABEL, target, to);
  };
}

/**
 * The `/function/*` handler with the pool behind it: a function without its own
 * weights entry goes to the pool (when the pool has members and the weights
 * are loaded), keyed by the function name, with its original path. Without a
 * pool the handler is returned as it is.
 */
export function withPoolFallback(proxy: ProxyHandler, deps: AppDeps): ProxyHandler {
  const pool = deps.pool;
  if (pool === undefined || deps.config.handlerType === 'dummy') return proxy;
  const send = poolProxy(deps, pool);
  return function proxyOrPool(req, to) {
    if (pool.size === 0 || !deps.source.ready) return proxy(req, to);
    const path = parseFunctionTarget(req.target);
    if (path === undefined || deps.table.get(path.fn) !== undefined) return proxy(req, to);
    // Counted under the pool's label, never under the requested name: names a
    // client invents must not become metric series (or memory).
    send(req, path.fn, POOL_LABEL, path.fullTarget, to);
  };
}
