/**
 * `GET /1/lb/stats`: the last minute per function and backend, as JSON
 * (`app/metrics/stats.ts`): fnlb's `stats` entries, and each function's
 * backends with weight, health and p50/p99 latency.
 *
 * - `?since=<Unix seconds>` keeps only the `stats` entries of that second and
 *   later (the dashboard polls for what is new);
 * - `?function=<fn>` shows that function alone, every backend listed (404 when
 *   the table has no such function). Without it each function lists its first
 *   {@link STATS_MAX_BACKENDS} backends, `truncated` when it has more.
 *
 * The document of each view is built at most once a second and shared by
 * every reader (`app/answer-cache.ts`): the figures may be up to a second old.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';
import { AnswerCache, answerResponse } from '../app/answer-cache.ts';
import { GatewayError } from '../app/errors.ts';
import { metricsOf } from '../app/metrics/observer.ts';
import { buildStats } from '../app/metrics/stats.ts';
import { StatsAnswers } from '../app/metrics/stats-answer.ts';
import { functionParam } from './functions-api.ts';

/** Backends listed per function in the view of every function (`?function=` lists all). */
export const STATS_MAX_BACKENDS = 100;

/** The `/1/lb/stats` route. */
export function statsRoutes(deps: Pick<AppDeps, 'config' | 'observer' | 'table' | 'states' | 'now' | 'monotonic' | 'discovery'>): Hono {
  const routes = new Hono();
  const observer = metricsOf(deps);
  const inputs = { table: deps.table, states: deps.states, node: deps.config.nodeName, zone: deps.config.zone, now: deps.now, monotonic: deps.monotonic, discovery: deps.discovery === undefined ? undefined : () => deps.discovery!.stats() };
  // By view: '' for every function, else the function's name ('' is no function name).
  const views = new AnswerCache<string, StatsAnswers>({ now: deps.monotonic });
  routes.get('/1/lb/stats', (c) => {
    const since = c.req.query('since');
    if (since !== undefined && !/^\d{1,12}$/.test(since)) throw new GatewayError('bad_request', 'since must be a Unix time in whole seconds');
    const fn = c.req.query('function');
    if (fn !== undefined) {
      if (deps.table.get(functionParam(fn)) === undefined) throw new GatewayError('unknown_function', `function ${fn} is not known here`, fn);
    }
    const view = fn === undefined ? { maxBackends: STATS_MAX_BACKENDS } : { only: fn };
    const answers = views.get(fn ?? '', () => new StatsAnswers(buildStats(observer, inputs, 0, view)));
    return answerResponse(answers.since(since === undefined ? 0 : Number(since)));
  });
  return routes;
}
