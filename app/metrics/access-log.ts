/**
 * The access log (`eb_go_lb_access_log`, `--access-log`): one line per
 * `/function/` request — time, client, method, path, function, backend,
 * status and duration — through the logger, so a JSON line in `prod` and a
 * readable line in `dev`.
 *
 * It wraps the proxy handler, and `startGolb` wraps it only when the setting is
 * on: with the access log off the request path runs exactly as without this
 * module, not even a boolean test. The backend is read from the response's
 * `X-Final-Host`, which golb sets on every proxied answer; `-` marks an answer
 * golb gave itself (an error, the dummy handler).
 * @module
 */
import type { RuntimeAdapter } from '../deps.ts';
import type { Logger } from '../logger.ts';
import { requestTarget } from '../request-target.ts';

/** A `/function/*` handler (as `routes/function-proxy.ts` builds it). */
type Handler = (req: Request, env: unknown) => Promise<Response>;

/** What the access log needs. */
export interface AccessLogDeps {
  runtime: RuntimeAdapter;
  logger: Logger;
  /** Monotonic ms. */
  monotonic(): number;
}

/** `handler` with one access-log line per request, written once its response head is ready. */
export function withAccessLog<H extends Handler>(handler: H, deps: AccessLogDeps): H {
  const { runtime, logger, monotonic } = deps;
  const logged = async (req: Request, env: unknown): Promise<Response> => {
    const started = monotonic();
    const res = await handler(req, env);
    const target = requestTarget(req.url);
    logger.info('access', {
      client: runtime.clientAddress(req, env),
      method: req.method,
      path: target,
      function: functionName(target),
      backend: res.headers.get('x-final-host') ?? '-',
      status: res.status,
      durationMs: Math.round((monotonic() - started) * 1000) / 1000,
    });
    return res;
  };
  return logged as H;
}


/** The function a `/function/<fn>/...` target names, `-` when none. */
export function functionName(target: string): string {
  const prefix = '/function/';
  if (!target.startsWith(prefix)) return '-';
  let end = prefix.length;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  return end === prefix.length ? '-' : target.slice(prefix.length, end);
}
