/**
 * `/function/<fn>/<rest>`: pick a backend of `<fn>` and proxy the call.
 *
 * The name is read from the raw request URL, never from a decoded parameter,
 * so `%2f` or `%2e` cannot turn into path structure (a router that decodes
 * first would read `/function/a%2f..%2fb` as another path than the pod does). A pod receives `/<rest>?<query>`; another zone's gateway receives the
 * original path. Bodies stream both ways through the engine.
 *
 * The route checks the request and picks the first backend; sending it, and
 * retrying on another backend after a failure, is `app/forwarding/forward.ts`'s.
 * Loops and the gateway mark are the gateway-awareness middleware's, ahead of
 * the route (`routes/function-route.ts`): it refuses a loop and sets
 * `req.forwardedBy`, which this route reads to pick among pods only.
 * @module
 */
import { CHUNKED_BODY, declaredBody, type ClientRequest, type ProxyHandler, type ReplyTarget } from '../app/client-request.ts';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError } from '../app/errors.ts';
import { parseFunctionTarget, type FunctionPath } from '../app/function-name.ts';
import { forwarder, forwardWithRetries } from '../app/forwarding/forward.ts';

/**
 * The proxy handler for `/function/*`. golb's server calls it straight, ahead
 * of Hono's router, on the hot path; Hono's route wraps it for a web `Request`.
 */
export function functionProxy(deps: AppDeps): ProxyHandler {
  const { config, table, monotonic } = deps;
  const maxBodySize = config.maxBodySize;
  const dummy = config.handlerType === 'dummy';
  const fwd = forwarder(deps, false);
  const answerError = fwd.answer;

  // A refusal throws (answered below); an accepted request is answered by `forwardWithRetries`, which never throws.
  function proxy(req: ClientRequest, to: ReplyTarget): void {
    const path = parseFunctionTarget(req.target);
    if (path === undefined) throw new GatewayError('bad_request', 'function name must match [A-Za-z0-9][A-Za-z0-9._-]{0,252}');
    const { fn } = path;

    const declared = declaredBody(req, maxBodySize, fn);
    const bodyLength = declared < 0 ? undefined : declared;
    const hasBody = declared === CHUNKED_BODY || declared > 0;
    const forwardedBy = req.forwardedBy;
    const forwarded = forwardedBy !== null;
    if (dummy) {
      dummyAnswer(req, path, hasBody).then(
        (res) => to.reply(res),
        (err: unknown) => to.reply(answerError(err)),
      );
      return;
    }

    const entry = table.get(fn);
    if (entry === undefined) {
      // Before the first load (etcd still unreachable at start) "unknown" would be a lie.
      if (!deps.source.ready) throw new GatewayError('no_backend', 'the weights are not loaded yet', fn);
      throw new GatewayError('unknown_function', `function ${fn} is not known here`, fn);
    }
    const started = monotonic();
    // A request another gateway forwarded goes to pods only: it crosses at most one zone boundary.
    const picker = forwarded ? entry.podPicker : entry.picker;
    const first = picker.pick({ fn, key: fn, now: started, tried: undefined });
    if (first === undefined) {
      throw new GatewayError('no_backend', forwarded ? `no pod of ${fn} can take a forwarded request` : `no backend of ${fn} can take the request`, fn);
    }
    forwardWithRetries(fwd, {
      req, picker, first, started, label: fn, key: fn, fn,
      podTarget: path.podTarget, fullTarget: path.fullTarget, hasBody, bodyLength, forwarded, forwardedBy,
    }, to);
  }

  return function proxyFunction(req, to) {
    try {
      proxy(req, to);
    } catch (err) {
      to.reply(answerError(err));
    }
  };
}

/** The `dummy` handler: proxies nothing, answers with what it received. */
async function dummyAnswer(req: ClientRequest, path: FunctionPath, hasBody: boolean): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const [name, value] of req.headers) headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  const body = hasBody ? await new Response(req.body).text() : '';
  return Response.json({ function: path.fn, method: req.method, path: path.podTarget, headers, body });
}
