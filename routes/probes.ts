/**
 * The answers of liveness and readiness, with no Hono and no web objects:
 * golb's server writes them itself for `GET /healthz` and `GET /readyz`
 * (`Http1ServerOptions.direct`), so a started golb that has answered only its
 * probes has not loaded the web app (`routes/health.ts` serves the same
 * answers through Hono, for whatever the server hands on).
 * @module
 */
import type { AppDeps } from '../app/deps.ts';
import type { JsonAnswer } from '../app/server/http1-server.ts';

/** What the probes read. */
export type ProbeDeps = Pick<AppDeps, 'source' | 'table' | 'discovery' | 'warnings' | 'shutdown'>;

/** `/healthz`: 200 while the process serves. */
export const LIVENESS: JsonAnswer = { status: 200, body: JSON.stringify({ status: 'ok' }) };

/**
 * `/readyz`: 200 once the weight source's first load is in and, with
 * Kubernetes discovery, the pods were listed once; 503 before (`loading`, then
 * `discovering`). A golb that cannot reach its API server (a wrong CA, a bad
 * selector, no permission) so stays out of a Service instead of joining it
 * with nothing to route to; once listed, it stays ready through an API
 * server's outage and serves what it has. From the first SIGTERM or SIGINT
 * on it answers 503 `stopping` (`app/shutdown.ts`: golb still serves for the
 * shutdown delay, so that load balancers in front take it out first). The
 * body lists the warnings in force (`app/warnings.ts`), which never change
 * the status.
 */
export function readiness(deps: ProbeDeps): JsonAnswer {
  const loaded = deps.source.ready;
  const listed = deps.discovery === undefined || deps.discovery.stats().lastEventAt !== undefined;
  const stopping = deps.shutdown?.stopping === true;
  const ready = loaded && listed && !stopping;
  const status = stopping ? 'stopping' : ready ? 'ready' : loaded ? 'discovering' : 'loading';
  const warnings = deps.warnings?.list() ?? [];
  const body = { status, source: deps.source.kind, functions: deps.table.size, ...(warnings.length > 0 ? { warnings } : {}) };
  return { status: ready ? 200 : 503, body: JSON.stringify(body) };
}

/**
 * The probe answers by request: `GET` or `HEAD` of `/healthz` or `/readyz`
 * (any query); undefined for every other request.
 */
export function probeAnswers(deps: ProbeDeps): (method: string, target: string) => JsonAnswer | undefined {
  return (method, target) => {
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    const query = target.indexOf('?');
    const path = query < 0 ? target : target.slice(0, query);
    if (path === '/healthz') return LIVENESS;
    if (path === '/readyz') return readiness(deps);
    return undefined;
  };
}
