/**
 * The access log (`eb_go_lb_access_log`, `--access-log`): one line per
 * `/function/` request — client, method, path, function, backend, status,
 * body bytes, request id, the time to the response head and the total time —
 * through the logger, so a JSON line in `prod` and a readable line in `dev`.
 *
 * The line is written when the response is over: golb's server tells the
 * request's listener once its last body byte was written, or when the client
 * went away first (`ClientRequest.onResponseEnd`, called by
 * `app/server/response-writer.ts`); the line then says `aborted: true`, and a
 * client that left before any answer is logged with status 499, as nginx
 * does; one cut by golb's drain timeout at shutdown with 503 and
 * `cutBy: shutdown`. A request that came as a web `Request` (the Hono app, tests) has no
 * such report: its line is written when the head is ready, with the body's
 * length when the upstream gave one.
 *
 * It wraps the proxy handler, and `startGolb` wraps it only when the setting is
 * on: with the access log off the request path runs exactly as without this
 * module (the server's end report is one field read). The backend is the one
 * that answered a proxied request; `-` marks an answer golb gave itself (an
 * error, the dummy handler).
 * @module
 */
import type { ClientRequest, ProxyHandler, ProxyReply, ReplyTarget, ResponseEndListener } from '../client-request.ts';
import type { Logger } from '../logger.ts';
import { functionName } from '../function-name.ts';

/** What the access log needs. */
export interface AccessLogDeps {
  logger: Logger;
  /** Monotonic ms. */
  monotonic(): number;
}

/** The status nginx logs for a client that went away before its answer. */
const CLIENT_CLOSED = 499;

/** The status of a request golb's shutdown cut before any answer (error `shutdown`, `app/errors.ts`). */
const SHUTDOWN_CUT = 503;

/** `handler` with one access-log line per request, written when its response is over. */
export function withAccessLog(handler: ProxyHandler, deps: AccessLogDeps): ProxyHandler {
  return function logged(req, to) {
    const entry = new AccessEntry(req, to, deps);
    if (req.reportsEnd) req.onResponseEnd = entry;
    handler(req, entry);
  };
}

/** One request's line: it sees the answer pass (backend, head time) and hears the response's end. */
class AccessEntry implements ReplyTarget, ResponseEndListener {
  private readonly req: ClientRequest;
  private readonly to: ReplyTarget;
  private readonly deps: AccessLogDeps;
  private readonly started: number;
  /** Monotonic ms when the answer's head was ready; undefined before. */
  private headAt: number | undefined = undefined;
  private backend = '-';

  constructor(req: ClientRequest, to: ReplyTarget, deps: AccessLogDeps) {
    this.req = req;
    this.to = to;
    this.deps = deps;
    this.started = deps.monotonic();
  }

  reply(res: ProxyReply): void {
    this.headAt = this.deps.monotonic();
    this.backend = res instanceof Response ? (res.headers.get('x-final-host') ?? '-') : res.backend;
    // A web Request's server reports no end: its line goes now.
    if (!this.req.reportsEnd) this.write(res.status, res instanceof Response ? undefined : res.length < 0 ? undefined : res.length, true);
    this.to.reply(res);
  }

  responseEnded(status: number, bodyBytes: number, complete: boolean): void {
    // Cut by golb's drain timeout before any answer: the 503 of error `shutdown` it is counted as, not the client's 499.
    this.write(status === 0 ? (this.req.signal?.shutdownCut === true ? SHUTDOWN_CUT : CLIENT_CLOSED) : status, bodyBytes, complete);
  }

  private write(status: number, bytes: number | undefined, complete: boolean): void {
    const { req, started } = this;
    const now = this.deps.monotonic();
    const target = req.target;
    this.deps.logger.info('access', {
      client: req.clientAddress,
      method: req.method,
      path: target,
      function: functionName(target),
      backend: this.backend,
      status,
      bytes: bytes ?? '-',
      requestId: req.requestId ?? '-',
      headMs: this.headAt === undefined ? '-' : milliseconds(this.headAt - started),
      durationMs: milliseconds(now - started),
      ...(complete ? {} : { aborted: true }),
      ...(req.signal?.shutdownCut === true ? { cutBy: 'shutdown' } : {}),
    });
  }
}

/** Milliseconds rounded to microseconds. */
function milliseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
