/**
 * `/function/<fn>/<rest>`: pick a backend of `<fn>` and proxy the call.
 *
 * The name is read from the raw request URL, never from a decoded parameter,
 * so `%2f` or `%2e` cannot turn into path structure (research/pitfalls.md
 * §1.i). A pod receives `/<rest>?<query>`; another zone's gateway receives the
 * original path. Bodies stream both ways through the engine.
 *
 * A failure before any response byte is tried on another backend, at most
 * `config.retries` times, never on one already tried, when the method and
 * what was sent allow it (`app/health/retry.ts`); the client sees the last
 * attempt's error. Each outcome feeds the backend's passive health
 * (`app/health/passive.ts`). A request body is kept as it streams, up to a
 * limit, so a retry can send it again (`app/health/replayable-body.ts`). The
 * first attempt allocates nothing for retries apart from that body keeper; the
 * tried list is made on the first failure.
 * @module
 */
import type { AppDeps } from '../app/deps.ts';
import { GatewayError, errorResponse } from '../app/errors.ts';
import { isFunctionNameAt } from '../app/function-name.ts';
import { FORWARDED_BY_HEADER, checkHops } from '../app/middleware/gateway-awareness.ts';
import { backoffMs, isBackendFailure, markFailed, markSucceeded } from '../app/health/passive.ts';
import { ReplayableBody } from '../app/health/replayable-body.ts';
import { isConnectTimeout, maySendAgain } from '../app/health/retry.ts';
import { UpstreamError, type UpstreamResponse } from '../app/proxy/engine.ts';
import { clientResponseHeaders, upstreamHeaderBlock, unixTimestamp, type ForwardContext } from '../app/proxy/forward-headers.ts';
import { requestEnded, requestStarted, type BackendState } from '../strategies/backend-state.ts';
import type { Backend, Picker } from '../strategies/strategy.ts';

const PREFIX = '/function/';

/** Where the parts of a `/function/...` URL are. */
export interface FunctionPath {
  fn: string;
  /** Path and query for a pod: the prefix stripped, `/` when empty. */
  podTarget: string;
  /** The original path and query (for gateways). */
  fullTarget: string;
}

/**
 * Splits a request URL (absolute, as servers hand it over) into function name
 * and targets; `undefined` when the name breaks the grammar.
 */
export function parseFunctionUrl(url: string): FunctionPath | undefined {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  if (pathStart < 0 || !url.startsWith(PREFIX, pathStart)) return undefined;
  const nameStart = pathStart + PREFIX.length;
  let nameEnd = nameStart;
  while (nameEnd < url.length) {
    const c = url.charCodeAt(nameEnd);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    nameEnd++;
  }
  if (!isFunctionNameAt(url, nameStart, nameEnd)) return undefined;
  const rest = url.slice(nameEnd);
  const podTarget = rest === '' ? '/' : rest.charCodeAt(0) === 63 ? '/' + rest : rest;
  return { fn: url.slice(nameStart, nameEnd), podTarget, fullTarget: url.slice(pathStart) };
}

/** Serves one request: never throws, every failure becomes a JSON error response. */
export type ProxyHandler = (req: Request, env: unknown) => Promise<Response>;

/**
 * The proxy handler for `/function/*`. It takes the server's `Request` and
 * whatever the server hands with it (`env`), so a runtime entry can call it
 * straight from its server, ahead of Hono's router, on the hot path.
 */
export function functionProxy(deps: AppDeps): ProxyHandler {
  const { config, table, engine, runtime, logger, observer, now, monotonic } = deps;
  const origin = { zone: config.zone, node: config.nodeName };
  const via = `1.1 ${config.nodeName}`;
  const timestampHeader = `x-forwarded-host-${config.nodeName.toLowerCase()}`;
  const maxBodySize = config.maxBodySize;
  const dummy = config.handlerType === 'dummy';
  const node = config.nodeName.toLowerCase();
  const maxHops = config.maxHops;
  const retries = config.retries;

  async function proxy(req: Request, env: unknown): Promise<Response> {
    const path = parseFunctionUrl(req.url);
    if (path === undefined) throw new GatewayError('bad_request', 'function name must match [A-Za-z0-9][A-Za-z0-9._-]{0,252}');
    const { fn } = path;

    const lengthHeader = req.headers.get('content-length');
    const bodyLength = lengthHeader === null ? undefined : Number(lengthHeader);
    // The framing headers tell whether a body came: fetch-style servers hand
    // GET and HEAD requests a null body whatever followed them (pitfalls.md §1.g).
    // `req.body` is touched only to forward it: on Node that starts reading the
    // socket, after which @hono/node-server cannot drain a refused body and drops
    // the keep-alive connection.
    const hasBody = bodyLength === undefined ? req.headers.has('transfer-encoding') : bodyLength > 0;
    if (bodyLength !== undefined && bodyLength > maxBodySize) throw new GatewayError('body_too_large', `request body over ${maxBodySize} bytes`, fn);
    if (hasBody && (req.method === 'GET' || req.method === 'HEAD')) {
      // fetch-based servers silently drop such bodies; refuse instead of changing the request's meaning.
      throw new GatewayError('bad_request', `${req.method} with a body is not supported`, fn);
    }
    const forwardedBy = req.headers.get(FORWARDED_BY_HEADER);
    const hops = checkHops(req.headers.get('via'), forwardedBy, node, maxHops);
    if (hops === 'loop') throw new GatewayError('loop_detected', `the request already passed ${config.nodeName} (Via)`, fn);
    if (hops === 'too_many_hops') throw new GatewayError('loop_detected', `the request passed ${maxHops} or more hops (Via)`, fn);
    const forwarded = hops === 'forwarded';
    if (dummy) return dummyAnswer(req, path, hasBody);

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
    let backend: Backend = first;

    runtime.holdOpen(req, env);
    const ctx: ForwardContext = {
      clientAddress: runtime.clientAddress(req, env),
      proto: 'http',
      via,
      timestampHeader,
      timestamp: unixTimestamp(now()),
      finalHost: first.address,
      forwarded,
      forwardedBy: first.gateway ? appendList(forwardedBy, config.nodeName) : undefined,
    };
    // A body that may have to be sent to a second backend is kept as it streams (up to a limit).
    const replay = hasBody && retries > 0 ? new ReplayableBody(req.body!) : undefined;
    let tried: BackendState[] | undefined;
    let attemptStarted = started;
    for (;;) {
      const state = backend.state;
      requestStarted(state);
      let res: UpstreamResponse;
      try {
        res = await engine.request({
          method: req.method,
          target: backend.gateway ? path.fullTarget : path.podTarget,
          host: backend.host,
          port: backend.port,
          address: backend.address,
          headers: upstreamHeaderBlock(req.headers, ctx),
          body: replay !== undefined ? replay.stream() : hasBody ? req.body : null,
          bodyLength: hasBody ? bodyLength : undefined,
          maxBodySize,
          signal: req.signal,
        });
      } catch (err) {
        // Any rejection means no response reached the route: the attempt is over.
        const ended = monotonic();
        requestEnded(state, ended - attemptStarted, ended);
        if (!(err instanceof UpstreamError)) throw err;
        const fields = { function: fn, backend: backend.address, failure: err.failure, reason: err.message };
        // The client leaving, or sending too much, is not the backend's failure.
        if (!isBackendFailure(err.failure)) {
          logger.debug('request ended by the client', fields);
          replay?.release();
          throw attemptError(err, backend, fn, maxBodySize);
        }
        logger.warn('upstream failed', fields);
        observer.upstreamError(fn, backend.address, err.failure);
        if (markFailed(state, err.failure, ended)) logger.info('backend marked down', { backend: backend.address, failures: state.failures, backoffMs: backoffMs(state.failures) });
        const next: Backend | undefined = (tried?.length ?? 0) < retries ? nextBackend(picker, fn, req.method, hasBody, err, replay, (tried ??= []), state, ended) : undefined;
        if (next === undefined) {
          replay?.release();
          throw attemptError(err, backend, fn, maxBodySize);
        }
        observer.retry(fn);
        backend = next;
        ctx.finalHost = next.address;
        ctx.forwardedBy = next.gateway ? appendList(forwardedBy, config.nodeName) : undefined;
        attemptStarted = ended;
        continue;
      }
      const ended = monotonic();
      requestEnded(state, ended - attemptStarted, ended);
      replay?.release();
      if (res.status > 599) {
        // Not an HTTP answer (RFC 9110 §15: three digits, 1xx to 5xx): a protocol failure, marked like one.
        res.body?.cancel().catch(() => undefined);
        logger.warn('upstream failed', { function: fn, backend: backend.address, failure: 'protocol', reason: `status ${res.status} out of range` });
        observer.upstreamError(fn, backend.address, 'protocol');
        markFailed(state, 'protocol', ended);
        throw new GatewayError('upstream_failed', `backend ${backend.address} failed: protocol`, fn);
      }
      if (markSucceeded(state)) logger.info('backend answers again', { backend: backend.address });
      observer.response(fn, backend.address, res.status, ended - attemptStarted);
      return new Response(res.body, { status: res.status, statusText: res.reason, headers: clientResponseHeaders(res.headers, ctx) });
    }
  }

  return function proxyFunction(req, env) {
    return proxy(req, env).catch((err: unknown) => {
      if (err instanceof GatewayError) {
        observer.rejected(err.fn, err.code);
        return errorResponse(err, origin);
      }
      logger.error('unhandled error', { reason: String(err), stack: err instanceof Error ? err.stack : undefined });
      return errorResponse(new GatewayError('internal', 'internal error'), origin);
    });
  };
}

/**
 * The backend for another attempt after `err`, or undefined when the request
 * may not or cannot be sent again: the method and what was sent forbid it
 * (`retry.ts`), the body cannot be produced again, or no untried backend is
 * left. Adds the failed backend's state to `tried`. Runs only after a failure.
 */
function nextBackend(
  picker: Picker,
  fn: string,
  method: string,
  hasBody: boolean,
  err: UpstreamError,
  replay: ReplayableBody | undefined,
  tried: BackendState[],
  failed: BackendState,
  now: number,
): Backend | undefined {
  tried.push(failed);
  if (!maySendAgain(method, hasBody, err)) return undefined;
  if (hasBody && (replay === undefined || !replay.replayable)) return undefined;
  const next = picker.pick({ fn, key: fn, now, tried });
  // A picker hands out a tried backend only by mistake; never send the request there twice.
  if (next === undefined || tried.includes(next.state)) return undefined;
  replay?.rewind();
  return next;
}

/** The client's error for a failed attempt: 504 for timeouts, 413 for too large, 502 otherwise. */
function attemptError(err: UpstreamError, backend: Backend, fn: string, maxBodySize: number): GatewayError {
  if (err.failure === 'timeout' || isConnectTimeout(err)) return new GatewayError('upstream_timeout', `backend ${backend.address} timed out`, fn);
  if (err.failure === 'body_too_large') return new GatewayError('body_too_large', `request body over ${maxBodySize} bytes`, fn);
  return new GatewayError('upstream_failed', `backend ${backend.address} failed: ${err.failure}`, fn);
}

/** `list, item`, or `item` alone. */
function appendList(list: string | null, item: string): string {
  return list === null || list === '' ? item : `${list}, ${item}`;
}

/** The `dummy` handler: proxies nothing, answers with what it received. */
async function dummyAnswer(req: Request, path: FunctionPath, hasBody: boolean): Promise<Response> {
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = hasBody ? await req.text() : '';
  return Response.json({ function: path.fn, method: req.method, path: path.podTarget, headers, body });
}
