/**
 * The management surface (SPEC.md "Management"): liveness and readiness, and
 * the `/1/lb/...` API, metrics, stats and dashboard. Served on the traffic port,
 * or alone on the management port when one is set (`createManagementApp`).
 * Each part is its own module mounted here; writes are authorised by the
 * admin-token middleware.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';
import { adminAuth } from '../app/middleware/admin-auth.ts';
import { healthRoutes } from './health.ts';
import { functionsApi } from './functions-api.ts';
import { nodesApi } from './nodes-api.ts';
import { metricsRoutes } from './metrics.ts';
import { statsRoutes } from './stats.ts';
import { dashRoutes } from './dash.ts';

/** Every management route. `/metrics` and everything under `/1/lb/` but the dashboard page pass the admin-token check first. */
export function managementRoutes(deps: AppDeps): Hono {
  const routes = new Hono();
  const origin = { zone: deps.config.zone, node: deps.config.nodeName };
  // The dashboard page holds no data (it reads /1/lb/stats, which the token guards,
  // sending the token from `#token=`): a browser can open it without a bearer header.
  routes.route('/', dashRoutes());
  const auth = adminAuth({ token: deps.config.adminToken, readsNeedToken: deps.config.readsNeedToken, origin });
  routes.use('/1/lb/*', auth);
  // Metrics are a read like the others: open unless eb_go_lb_protect_reads closes reads.
  routes.use('/metrics', auth);
  routes.route('/', healthRoutes(deps));
  routes.route('/', functionsApi(deps));
  if (deps.pool !== undefined) routes.route('/', nodesApi(deps, deps.pool));
  routes.route('/', metricsRoutes(deps));
  routes.route('/', statsRoutes(deps));
  return routes;
}
