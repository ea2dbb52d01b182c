/**
 * The first link of the function route's chain (`routes/function-route.ts`):
 * gives the request its id (`X-Request-Id`, `app/request-id.ts`), the
 * client's when it is sane, else a new one. The forwarding sends it to the
 * backend and golb's server returns it on the response
 * (`app/proxy/forward-headers.ts`, `app/proxy/response-headers.ts`,
 * `app/server/response-writer.ts`); the access log writes it.
 *
 * Per request: one look-up among the header kinds the parser recorded (no
 * string compared) and the id's string, nothing else.
 * @module
 */
import type { ProxyHandler } from '../client-request.ts';
import type { RequestIds } from '../request-id.ts';

/** `handler` with `req.requestId` set before it runs. */
export function withRequestId(handler: ProxyHandler, ids: RequestIds): ProxyHandler {
  return function identified(req, to) {
    req.requestId = ids.idOf(req.headers.get('x-request-id'));
    handler(req, to);
  };
}
