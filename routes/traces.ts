/**
 * `GET /1/lb/traces`: the trace stream, one JSON line per finished function
 * request (NDJSON, `app/traces/`), for as long as the reader stays.
 *
 * - `?sample=<fraction>` in (0, 1] (default 1): the share of requests the
 *   reader gets;
 * - `?function=<fn>`: that function's requests only (a name not in the table
 *   yet is fine: its lines start when it does).
 *
 * The first line says what the stream is (`{"stream":"traces","node":…,
 * "zone":…,"sample":…,"function":…}`): it sends the response head at once,
 * so a reader knows it is connected before any request finishes.
 *
 * Each reader has its own bounded queue: a reader slower than the traffic
 * loses lines (a `{"dropped":n}` line says how many, once it reads again;
 * `golb_trace_lines_dropped_total` counts them) and never slows the proxy.
 * The stream ends cleanly at shutdown. Like every read under `/1/lb/`, it needs
 * the admin token when `eb_go_lb_protect_reads` is set (`routes/management.ts`).
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError } from '../app/errors.ts';
import { MAX_TRACE_READERS } from '../app/traces/trace-hub.ts';
import { functionParam } from './functions-api.ts';

/** The stream's media type: newline-delimited JSON. */
export const NDJSON = 'application/x-ndjson';

/** `?sample=`: a fraction in (0, 1]; 1 when absent. */
export function sampleParam(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (raw.trim() === '' || !(n > 0 && n <= 1)) throw new GatewayError('bad_request', 'sample must be a fraction greater than 0 and at most 1, e.g. 0.1');
  return n;
}

/** The `/1/lb/traces` route. */
export function traceRoutes(deps: Pick<AppDeps, 'traces' | 'config'>): Hono {
  const routes = new Hono();
  routes.get('/1/lb/traces', (c) => {
    const hub = deps.traces;
    if (hub === undefined) throw new GatewayError('not_implemented', 'this golb has no trace stream');
    const sample = sampleParam(c.req.query('sample'));
    const fn = c.req.query('function');
    const reader = hub.open({ sample, fn: fn === undefined ? undefined : functionParam(fn) });
    if (reader === 'stopping') throw new GatewayError('overloaded', 'golb is stopping');
    if (reader === 'full') throw new GatewayError('overloaded', `the trace stream has ${MAX_TRACE_READERS} readers already`);
    const encoder = new TextEncoder();
    let opening: string | undefined = JSON.stringify({ stream: 'traces', node: deps.config.nodeName, zone: deps.config.zone, sample, function: fn ?? null }) + '\n';
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const batch = opening ?? (await reader.next());
          opening = undefined;
          try {
            if (batch === undefined) controller.close();
            else controller.enqueue(encoder.encode(batch));
          } catch {
            // The stream was cancelled while the batch was awaited: the reader is closed already.
          }
        },
        cancel() {
          reader.close();
        },
      },
      // Pulled only when the server reads: what the connection cannot take waits in the reader's bounded queue.
      { highWaterMark: 0 },
    );
    return new Response(body, { headers: { 'content-type': NDJSON, 'cache-control': 'no-store' } });
  });
  return routes;
}
