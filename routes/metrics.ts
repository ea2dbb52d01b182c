/**
 * `GET /metrics`: Prometheus text format (`app/metrics/exposition.ts`), built
 * at most once a second and shared by every scraper (`app/answer-cache.ts`).
 * @module
 */
import { Hono } from 'hono';
import { AnswerCache, answerResponse, textAnswer } from '../app/answer-cache.ts';
import type { AppDeps } from '../app/deps.ts';
import { EXPOSITION_CONTENT_TYPE } from '../app/metrics/exposition-format.ts';
import { processFigures, renderMetrics } from '../app/metrics/exposition.ts';
import { metricsOf } from '../app/metrics/observer.ts';
import { VERSION } from '../app/version.ts';

/** The `/metrics` route. */
export function metricsRoutes(deps: Pick<AppDeps, 'observer' | 'table' | 'states' | 'source' | 'engine' | 'now' | 'monotonic' | 'pool' | 'listeners' | 'discovery' | 'runtimeName' | 'loadReports' | 'traces'>): Hono {
  const routes = new Hono();
  const observer = metricsOf(deps);
  const engine = deps.engine;
  const inputs = {
    table: deps.table,
    states: deps.states,
    poolStates: deps.pool?.states,
    source: deps.source,
    listeners: deps.listeners,
    discovery: deps.discovery,
    now: deps.now,
    monotonic: deps.monotonic,
    process: processFigures(deps.now),
    upstream: engine.openConnections === undefined ? undefined : () => engine.openConnections!(),
    build: deps.runtimeName === undefined ? undefined : { version: VERSION, runtime: deps.runtimeName },
    loadReports: deps.loadReports === undefined ? undefined : () => deps.loadReports!.writes,
    traces: deps.traces,
  };
  const scrapes = new AnswerCache<''>({ now: deps.monotonic });
  routes.get('/metrics', () => answerResponse(scrapes.get('', () => textAnswer(renderMetrics(observer, inputs), EXPOSITION_CONTENT_TYPE))));
  return routes;
}
