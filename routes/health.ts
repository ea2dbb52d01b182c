/**
 * Liveness and readiness: `/healthz` answers 200 while the process serves;
 * `/readyz` answers 200 once the weight source's first load is in, 503 before.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';

/** The `/healthz` and `/readyz` routes. */
export function healthRoutes(deps: Pick<AppDeps, 'source' | 'table'>): Hono {
  const routes = new Hono();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', (c) => {
    const ready = deps.source.ready;
    return c.json({ status: ready ? 'ready' : 'loading', source: deps.source.kind, functions: deps.table.size }, ready ? 200 : 503);
  });
  return routes;
}
