/**
 * The access log (`eb_go_lb_access_log`, `--access-log`): one line per
 * `/function/` request — time, client, method, path, function, backend,
 * status and duration — through the logger, so a JSON line in `prod` and a
 * readable line in `dev`.
 *
 * It wraps the proxy handler, and `startGolb` wraps it only when the setting is
 * on: with the access log off the request path runs exactly as without this
 * module, not even a boolean test. The backend is the one that answered a
 * proxied request; `-` marks an answer golb gave itself (an error, the dummy
 * handler).
 * @module
 */
import type { ProxyHandler } from '../client-request.ts';
import type { Logger } from '../logger.ts';

/** What the access log needs. */
export interface AccessLogDeps {
  logger: Logger;
  /** Monotonic ms. */
  monotonic(): number;
}

/** `handler` with one access-log line per request, written once its response head is ready. */
export function withAccessLog(handler: ProxyHandler, deps: AccessLogDeps): ProxyHandler {
  const { logger, monotonic } = deps;
  return function logged(req, to) {
    const started = monotonic();
    handler(req, {
      reply(res) {
        const target = req.target;
        logger.info('access', {
          client: req.clientAddress,
          method: req.method,
          path: target,
          function: functionName(target),
          backend: res instanceof Response ? (res.headers.get('x-final-host') ?? '-') : res.backend,
          status: res.status,
          durationMs: Math.round((monotonic() - started) * 1000) / 1000,
        });
        to.reply(res);
      },
    });
  };
}


/** The function a `/function/<fn>/...` target names, `-` when none. */
export function functionName(target: string): string {
  const prefix = '/function/';
  if (!target.startsWith(prefix)) return '-';
  let end = prefix.length;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  return end === prefix.length ? '-' : target.slice(prefix.length, end);
}
