/**
 * Liveness and readiness: `/healthz` answers 200 while the process serves;
 * `/readyz` answers 200 once the weight source's first load is in, 503 before.
 * The answers are `routes/probes.ts`'s, which golb's server also writes itself.
 * @module
 */
import { Hono } from 'hono';
import type { JsonAnswer } from '../app/server/http1-server.ts';
import { LIVENESS, readiness, type ProbeDeps } from './probes.ts';

const json = ({ status, body }: JsonAnswer): Response => new Response(body, { status, headers: { 'content-type': 'application/json' } });

/** The `/healthz` and `/readyz` routes. */
export function healthRoutes(deps: ProbeDeps): Hono {
  const routes = new Hono();
  routes.get('/healthz', () => json(LIVENESS));
  routes.get('/readyz', () => json(readiness(deps)));
  return routes;
}
