/**
 * Builds golb's Hono application from its dependencies. No I/O happens at
 * import or construction: the runtime entries start sources and servers.
 * @module
 */
import { Hono, type Context } from 'hono';
import type { AppDeps } from './deps.ts';
import { GatewayError, errorResponse } from './errors.ts';
import { functionProxy } from '../routes/function-proxy.ts';
import { healthRoutes } from '../routes/health.ts';

/** The Hono application with every route of golb. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const origin = { zone: deps.config.zone, node: deps.config.nodeName };

  app.route('/', healthRoutes(deps));
  const proxy = functionProxy(deps);
  const route = (c: Context) => proxy(c.req.raw, c.env);
  app.all('/function/*', route);
  app.all('/function', route);

  app.notFound(() => errorResponse(new GatewayError('unknown_function', 'no route for this path'), origin));
  app.onError((err) => {
    if (err instanceof GatewayError) return errorResponse(err, origin);
    deps.logger.error('unhandled error', { reason: err.message, stack: err.stack });
    return errorResponse(new GatewayError('internal', 'internal error'), origin);
  });
  return app;
}
