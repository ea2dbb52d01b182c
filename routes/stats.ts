/**
 * `GET /1/lb/stats`: the last minute per function and backend, as JSON
 * (`app/metrics/stats.ts`): fnlb's `stats` entries, and each function's
 * backends with weight, health and p50/p99 latency. `?since=<Unix seconds>`
 * keeps only the `stats` entries of that second and later (the dashboard
 * polls for what is new).
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError } from '../app/errors.ts';
import { metricsOf } from '../app/metrics/observer.ts';
import { buildStats } from '../app/metrics/stats.ts';

/** The `/1/lb/stats` route. */
export function statsRoutes(deps: Pick<AppDeps, 'config' | 'observer' | 'table' | 'states' | 'now' | 'monotonic'>): Hono {
  const routes = new Hono();
  const observer = metricsOf(deps);
  const inputs = { table: deps.table, states: deps.states, node: deps.config.nodeName, zone: deps.config.zone, now: deps.now, monotonic: deps.monotonic };
  routes.get('/1/lb/stats', (c) => {
    const since = c.req.query('since');
    if (since !== undefined && !/^\d{1,12}$/.test(since)) throw new GatewayError('bad_request', 'since must be a Unix time in whole seconds');
    c.header('cache-control', 'no-store');
    return c.json(buildStats(observer, inputs, since === undefined ? 0 : Number(since)));
  });
  return routes;
}
