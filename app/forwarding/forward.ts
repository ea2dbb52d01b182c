/**
 * Sending one checked request upstream, with retries: what the function route
 * (`function-proxy.ts`) and the node pool (`node-pool-proxy.ts`) share once
 * they have chosen the first backend.
 *
 * A failure before any response byte is tried on another backend, at most
 * `config.retries` times, never on one already tried or marked down, when the method and
 * what was sent allow it (`app/forwarding/retry.ts`); the client sees the last
 * attempt's error. Each outcome feeds the backend's passive health
 * (`app/health/passive.ts`). A request body is kept as it streams, up to a
 * limit, so a retry can send it again (`app/forwarding/replayable-body.ts`). The
 * first attempt allocates nothing for retries apart from that body keeper; the
 * tried list is made on the first failure. What a failed attempt leads to is
 * `failed-attempt.ts`'s.
 * @module
 */
import type { AttemptTimes, ClientRequest, ForwardedResponse, ProxyReply, ReplyTarget } from '../client-request.ts';
import type { AppDeps } from '../deps.ts';
import { GatewayError, errorAnswer } from '../errors.ts';
import { markForwarded, viaToken } from '../middleware/gateway-awareness.ts';
import { markFailed, markSucceeded } from '../health/passive.ts';
import { ReplayableBody } from './replayable-body.ts';
import { afterFailure, attemptError, attemptFields } from './failed-attempt.ts';
import type { ExchangeReply, UpstreamError, UpstreamResponse } from '../proxy/engine.ts';
import { upstreamHeaderBlock, type ForwardContext } from '../proxy/forward-headers.ts';
import { clientResponseHeaders } from '../proxy/response-headers.ts';
import { unixTimestamp } from '../proxy/golb-lines.ts';
import { requestEnded, requestFailed, requestStarted, type BackendState } from '../../strategies/backend-state.ts';
import type { Backend, Picker } from '../../strategies/strategy.ts';

/**
 * What a route fixes once for all of its requests (`forwarder`). The pool
 * names its backends "node" in errors and logs, and logs a failed attempt as
 * `pool node failed key=… node=…`; the function route says "backend" and
 * `upstream failed function=… backend=…`.
 */
export interface Forwarder {
  /** Engine, logger, observer and clocks. */
  readonly deps: AppDeps;
  /** True for the node pool's wording. */
  readonly pool: boolean;
  /** `backend` or `node`: how errors and health logs name the chosen address. */
  readonly noun: string;
  /** The `Via` token of this node, `1.1 <node>`. */
  readonly via: string;
  /** Header name `x-forwarded-host-<node>`. */
  readonly timestampHeader: string;
  /** This node's name, appended to `X-Golb-Forwarded-By` for a gateway. */
  readonly nodeName: string;
  /** `config.maxBodySize`. */
  readonly maxBodySize: number;
  /** `config.retries`: attempts after the first, at most. */
  readonly retries: number;
  /** `config.traceHeaders`: the seed's trace headers go on the client's response. */
  readonly traceHeaders: boolean;
  /** The client's answer to a failure ({@link errorAnswer}). */
  readonly answer: (err: unknown) => Response;
}

/** The `Forwarder` of a route: `pool` selects the node pool's wording. */
export function forwarder(deps: AppDeps, pool: boolean): Forwarder {
  const { config } = deps;
  return {
    deps,
    pool,
    noun: pool ? 'node' : 'backend',
    via: viaToken(config.nodeName),
    timestampHeader: `x-forwarded-host-${config.nodeName.toLowerCase()}`,
    nodeName: config.nodeName,
    maxBodySize: config.maxBodySize,
    retries: config.retries,
    traceHeaders: config.traceHeaders,
    answer: errorAnswer(deps),
  };
}

/** One request to forward: the route has checked it and picked its first backend. */
export interface ForwardCall {
  req: ClientRequest;
  /** Picks the backend of a retry. */
  picker: Picker;
  /** The first backend, picked by the route at `started`. */
  first: Backend;
  /** Monotonic time of the first pick: the first attempt's latency counts from it. */
  started: number;
  /** The name metrics count the request under, and the picker's `fn`. */
  label: string;
  /** What the picker hashes. */
  key: string;
  /** The function named in error bodies; undefined for a pool path. */
  fn: string | undefined;
  /** What a pod receives (path and query). */
  podTarget: string;
  /** What another zone's gateway receives (path and query). */
  fullTarget: string;
  /** True when the request has a body (by its framing headers). */
  hasBody: boolean;
  /** `Content-Length`, undefined when chunked or absent. */
  bodyLength: number | undefined;
  /** True when another golb forwarded this request. */
  forwarded: boolean;
  /** The request's `X-Golb-Forwarded-By`; this node is appended when a gateway is chosen. */
  forwardedBy: string | null;
}

/**
 * Sends `call` to its first backend and, after a failure that allows it, to
 * others; answers `to` with the client's response, or with the JSON error of
 * the last attempt's `GatewayError` (504 timeout, 413 body too large, 502
 * otherwise) or of whatever unexpected error the engine threw
 * ({@link errorAnswer}). It never throws. The engine reports each attempt to
 * a {@link Forwarding} (one object per request, no promise), which answers
 * the client in the same turn as the read that completed the response head.
 */
export function forwardWithRetries(f: Forwarder, call: ForwardCall, to: ReplyTarget): void {
  new Forwarding(f, call, to).attempt();
}

/**
 * One request on its way upstream: the attempts' state, the headers' context
 * (`ForwardContext`: it is its own), and where the engine reports each
 * attempt's outcome (`ExchangeReply`).
 */
class Forwarding implements ForwardContext, ExchangeReply {
  readonly clientAddress: string;
  readonly proto = 'http';
  readonly via: string;
  readonly timestampHeader: string;
  readonly timestamp: string;
  finalHost: string;
  readonly forwarded: boolean;
  forwardedBy: string | undefined;
  readonly requestId: string | undefined;
  readonly traceHeaders: boolean;
  gatewayBackend: boolean;
  private readonly f: Forwarder;
  private readonly call: ForwardCall;
  private readonly to: ReplyTarget;
  /** The backend of the current attempt. */
  private backend: Backend;
  /** Keeps a body that may have to be sent to a second backend as it streams (up to a limit). */
  private readonly replay: ReplayableBody | undefined;
  /** The backends failed so far; made on the first failure. */
  private tried: BackendState[] | undefined = undefined;
  /** Monotonic time the current attempt started: its latency counts from here. */
  private attemptStarted: number;
  /** The client has its answer. */
  private answered = false;
  /** Where a traced request's attempt figures go (`ClientRequest.trace`); undefined when no trace reader wants it. */
  private readonly times: AttemptTimes | undefined;

  constructor(f: Forwarder, call: ForwardCall, to: ReplyTarget) {
    this.f = f;
    this.call = call;
    this.to = to;
    const backend = call.first;
    this.backend = backend;
    this.clientAddress = call.req.clientAddress;
    this.requestId = call.req.requestId;
    this.via = f.via;
    this.timestampHeader = f.timestampHeader;
    this.timestamp = unixTimestamp(f.deps.now());
    this.finalHost = backend.address;
    this.forwarded = call.forwarded;
    this.forwardedBy = backend.gateway ? markForwarded(call.forwardedBy, f.nodeName) : undefined;
    this.traceHeaders = f.traceHeaders;
    this.gatewayBackend = backend.gateway;
    const times = call.req.trace;
    this.times = times;
    if (times !== undefined) times.gateway = backend.gateway;
    this.replay = call.hasBody && f.retries > 0 ? new ReplayableBody(call.req.body!) : undefined;
    this.attemptStarted = call.started;
  }

  /** Sends the request to the current backend. */
  attempt(): void {
    const { call, backend, replay } = this;
    const { req, hasBody } = call;
    requestStarted(backend.state);
    try {
      this.f.deps.engine.send(
        {
          method: req.method,
          target: backend.gateway ? call.fullTarget : call.podTarget,
          host: backend.host,
          port: backend.port,
          address: backend.address,
          headers: upstreamHeaderBlock(req.headers, this),
          body: replay !== undefined ? replay.stream() : hasBody ? req.body : null,
          bodyLength: hasBody ? call.bodyLength : undefined,
          maxBodySize: this.f.maxBodySize,
          signal: req.signal,
        },
        this,
      );
    } catch (err) {
      // A fault of golb's, not the backend's: the attempt is over (unless the
      // engine reported it before throwing), and the client gets a 500.
      if (!this.answered) requestFailed(backend.state);
      this.answer(this.f.answer(err));
    }
  }

  /** ExchangeReply: the attempt's new connection is open (a reused one stays at 0 ms). */
  connected(): void {
    const times = this.times;
    if (times !== undefined) times.connectMs = this.f.deps.monotonic() - this.attemptStarted;
  }

  /** ExchangeReply: the backend answered. */
  response(res: UpstreamResponse): void {
    let reply: ProxyReply;
    try {
      reply = this.clientReply(res);
    } catch (err) {
      reply = this.f.answer(err);
    }
    this.answer(reply);
  }

  /** The client's response to `res`; throws the `GatewayError` of a status that is not HTTP. */
  private clientReply(res: UpstreamResponse): ForwardedResponse {
    const { f, call, backend } = this;
    const { logger, observer } = f.deps;
    const state = backend.state;
    const ended = f.deps.monotonic();
    this.replay?.release();
    if (res.status > 599) {
      // Not an HTTP answer (RFC 9110 §15: three digits, 1xx to 5xx): a protocol failure, marked like one.
      requestFailed(state);
      res.body?.cancel();
      logger.warn(f.pool ? 'pool node failed' : 'upstream failed', attemptFields(f, call, backend, 'protocol', `status ${res.status} out of range`));
      observer.upstreamError(call.label, backend.address, 'protocol');
      markFailed(state, 'protocol', ended);
      throw new GatewayError('upstream_failed', `${f.noun} ${backend.address} failed: protocol`, call.fn);
    }
    requestEnded(state, ended - this.attemptStarted, ended);
    if (markSucceeded(state)) logger.info(`${f.noun} answers again`, { [f.noun]: backend.address });
    observer.response(call.label, backend.address, res.status, ended - this.attemptStarted);
    return { status: res.status, reason: res.head.reason, headers: clientResponseHeaders(res.head, this), body: res.body, length: res.length, backend: backend.address };
  }

  /** ExchangeReply: the attempt failed before any response byte; the next backend is tried, or the client gets the error. */
  failure(err: UpstreamError): void {
    // No latency sample from a failure (a refusal is fast): only the in-flight count.
    const { f, call, backend, replay } = this;
    requestFailed(backend.state);
    const ended = f.deps.monotonic();
    let next: Backend | undefined;
    try {
      next = afterFailure(f, call, backend, err, replay, (this.tried ??= []), ended);
    } catch (e) {
      this.answer(f.answer(e));
      return;
    }
    if (next === undefined) {
      replay?.release();
      this.answer(f.answer(attemptError(f, call, err, backend, call.fn)));
      return;
    }
    f.deps.observer.retry(call.label);
    this.backend = next;
    this.finalHost = next.address;
    this.forwardedBy = next.gateway ? markForwarded(call.forwardedBy, f.nodeName) : undefined;
    this.gatewayBackend = next.gateway;
    this.attemptStarted = ended;
    const times = this.times;
    if (times !== undefined) {
      times.retries++;
      times.connectMs = 0;
      times.gateway = next.gateway;
    }
    this.attempt();
  }

  /** Hands the client its answer, once. */
  private answer(reply: ProxyReply): void {
    if (this.answered) return;
    this.answered = true;
    this.to.reply(reply);
  }
}
