/**
 * Builds golb's Hono application from its dependencies. No I/O happens at
 * import or construction: the runtime entries start sources and servers.
 * @module
 */
import { Hono, type Context } from 'hono';
import type { AppDeps } from './deps.ts';
import { GatewayError, errorResponse } from './errors.ts';
import { webHandler, type ProxyHandler } from './client-request.ts';
import { functionRoute } from '../routes/function-route.ts';
import { healthRoutes } from '../routes/health.ts';
import { managementRoutes } from '../routes/management.ts';
import { poolRoute } from '../routes/node-pool-proxy.ts';
import { withAccessLog } from './metrics/access-log.ts';

/**
 * The Hono application of the traffic port: the function proxy, liveness and
 * readiness, and the management routes unless a management port serves them.
 * Any other path goes to fnlb's node pool (`routes/node-pool-proxy.ts`), 404 while it is empty.
 * @param proxy the function route's chain (`routes/function-route.ts`), when the
 *   runtime entry built it for golb's server too; built from `deps` otherwise
 */
export function createApp(deps: AppDeps, proxy: ProxyHandler = functionRoute(deps)): Hono {
  const app = withErrors(new Hono(), deps);
  app.route('/', deps.config.mgmtPort === undefined ? managementRoutes(deps) : healthRoutes(deps));
  const web = webHandler(proxy, deps.runtime);
  const route = (c: Context) => web(c.req.raw, c.env);
  // The function route; `/function/*` and `/function` take what its pattern does not (the chain answers 400 for a bad name).
  app.all('/function/:fn/*', route);
  app.all('/function/*', route);
  app.all('/function', route);
  const pool = poolRoute(deps);
  // The access log covers the pool's requests as it covers /function/ ones (start.ts wraps those).
  const toPool = webHandler(deps.config.accessLog ? withAccessLog(pool, deps) : pool, deps.runtime);
  app.all('*', (c) => toPool(c.req.raw, c.env));
  return app;
}

/** The application of the separate management port (`eb_go_lb_mgmt_port`, `--mgmt-listen`). */
export function createManagementApp(deps: AppDeps): Hono {
  const app = withErrors(new Hono(), deps);
  app.route('/', managementRoutes(deps));
  return app;
}

/** Answers unknown paths and thrown errors with golb's JSON error body. */
function withErrors(app: Hono, deps: AppDeps): Hono {
  const origin = { zone: deps.config.zone, node: deps.config.nodeName };

  app.notFound(() => errorResponse(new GatewayError('unknown_function', 'no route for this path'), origin));
  app.onError((err) => {
    if (err instanceof GatewayError) return errorResponse(err, origin);
    deps.logger.error('unhandled error', { reason: err.message, stack: err.stack });
    return errorResponse(new GatewayError('internal', 'internal error'), origin);
  });
  return app;
}
