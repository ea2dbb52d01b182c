/**
 * The management surface (docs/management.md): liveness and readiness, and
 * the `/1/lb/...` API, metrics, stats and dashboard. Served on the traffic port,
 * or alone on the management port when one is set (`createManagementApp`).
 * Each part is its own module mounted here; writes are authorised by the
 * admin-token middleware. Reads that pass it share one budget of bytes
 * written per second (`app/middleware/read-budget.ts`); the probes and the
 * dashboard's page (constant and small) are outside it.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';
import { adminAuth } from '../app/middleware/admin-auth.ts';
import { ReadBudget, readBudget } from '../app/middleware/read-budget.ts';
import { healthRoutes } from './health.ts';
import { functionsApi } from './functions-api.ts';
import { nodesApi } from './nodes-api.ts';
import { metricsRoutes } from './metrics.ts';
import { statsRoutes } from './stats.ts';
import { dashRoutes } from './dash.ts';
import { loadRoutes } from './load.ts';
import { traceRoutes } from './traces.ts';

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
  // After the token check: a refusal is as cheap as any small answer, and readers with the token are not held up by it.
  const budget = readBudget({ budget: new ReadBudget(), now: deps.monotonic, origin });
  routes.use('/1/lb/*', budget);
  routes.use('/metrics', budget);
  routes.route('/', healthRoutes(deps));
  routes.route('/', functionsApi(deps));
  if (deps.pool !== undefined) routes.route('/', nodesApi(deps, deps.pool));
  routes.route('/', metricsRoutes(deps));
  routes.route('/', statsRoutes(deps));
  routes.route('/', loadRoutes(deps));
  routes.route('/', traceRoutes(deps));
  return routes;
}
