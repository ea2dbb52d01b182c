/**
 * `GET /1/lb/load`: this gateway's latest load report (`app/load/`), the same
 * JSON it writes to etcd (whole, never split), for optimisers and operators
 * without etcd, or to look at one gateway. 503 `no_report` before the first
 * report is built (one interval after start) and when reports are off
 * (`eb_go_lb_load_report_interval=0`). The same read rules as `/metrics`
 * (`routes/management.ts`): open, or the admin token with
 * `eb_go_lb_protect_reads`, and the shared read budget.
 * @module
 */
import { Hono } from 'hono';
import { answerResponse } from '../app/answer-cache.ts';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError } from '../app/errors.ts';

/** The `/1/lb/load` route. */
export function loadRoutes(deps: Pick<AppDeps, 'loadReports'>): Hono {
  const routes = new Hono();
  routes.get('/1/lb/load', () => {
    const reports = deps.loadReports;
    if (reports === undefined) throw new GatewayError('no_report', 'load reports are off (eb_go_lb_load_report_interval is 0)');
    const answer = reports.latestAnswer();
    if (answer === undefined) throw new GatewayError('no_report', `no load report yet: the first is built ${reports.intervalMs / 1000} s after start`);
    return answerResponse(answer);
  });
  return routes;
}
