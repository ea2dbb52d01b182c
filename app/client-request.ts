/**
 * A client's request as the proxy routes see it, and what they answer,
 * whichever server received it: golb's own HTTP/1.1 server (`app/server/`,
 * the traffic port on every runtime) hands its parsed request with no web
 * object made, and a fetch-style `Request` (Hono's routes, tests) is wrapped
 * by {@link WebRequest}. A proxied answer stays the upstream's head and body
 * ({@link ForwardedResponse}) until a server writes it; {@link toResponse}
 * makes a web `Response` of it where one is needed.
 * @module
 */
import type { RuntimeAdapter } from './deps.ts';
import type { AbortLike, HeaderLines, ResponseBody } from './proxy/engine.ts';
import { GatewayError } from './errors.ts';
import { requestTarget } from './request-target.ts';

/** Header lookup by lower-case name, and iteration over `[name, value]` pairs with lower-case names (a web `Headers` is one). */
export interface HeaderLookup extends Iterable<[string, string]> {
  get(name: string): string | null;
  has(name: string): boolean;
}

/** One client request. */
export interface ClientRequest {
  readonly method: string;
  /** Path and query as received, starting with `/`. */
  readonly target: string;
  readonly headers: HeaderLookup;
  /** The body; null when the request has none. Read only to forward it. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** Fires when the client goes away. */
  readonly signal: AbortLike | undefined;
  /** The client's socket address. */
  readonly clientAddress: string;
  /**
   * The `X-Golb-Forwarded-By` mark when another golb forwarded this request,
   * null for a client's: set by the gateway-awareness middleware
   * (`app/middleware/gateway-awareness.ts`) before a route sees the request.
   */
  forwardedBy: string | null;
  /**
   * The request id (`X-Request-Id`, `app/request-id.ts`): set by the first
   * link of the function route's chain (`app/middleware/request-id.ts`);
   * undefined before and on other paths.
   */
  requestId: string | undefined;
  /**
   * Told once when the response to this request is over: its last body byte
   * written, or the client gone first. Set by the access log when it is on;
   * golb's server calls it ({@link reportsEnd}), a web `Request`'s cannot.
   */
  onResponseEnd: ResponseEndListener | undefined;
  /** True when the server calls {@link onResponseEnd} (golb's own); false for a web `Request`. */
  readonly reportsEnd: boolean;
  /**
   * Where the forwarding notes the answering attempt's figures for the trace
   * stream (`app/traces/`): set only when a trace reader wants this request,
   * undefined otherwise (then the forwarding notes nothing).
   */
  trace: AttemptTimes | undefined;
}

/** What the forwarding notes of a traced request's attempts (`ClientRequest.trace`). */
export interface AttemptTimes {
  /** Milliseconds from the answering attempt's start to its socket connected; 0 on a reused keep-alive connection. */
  connectMs: number;
  /** Attempts after the first (retries on other backends). */
  retries: number;
  /** True when the backend of the last attempt is another zone's gateway. */
  gateway: boolean;
}

/** Hears the end of a response (`ClientRequest.onResponseEnd`). */
export interface ResponseEndListener {
  /**
   * @param status the status written, 0 when no head went out
   * @param bodyBytes the body bytes written (payload, no chunk framing)
   * @param complete false when the client went away, or the connection was cut, before the end
   */
  responseEnded(status: number, bodyBytes: number, complete: boolean): void;
}

/** A proxied response on its way to the client: the upstream's status and body, the client's headers. */
export interface ForwardedResponse {
  readonly status: number;
  readonly reason: string;
  /** The headers the client gets (hop-by-hop ones dropped, golb's added). */
  readonly headers: ResponseHeaderBlock;
  readonly body: ResponseBody | null;
  /** The body's Content-Length (among `headers`), -1 when the upstream did not frame it by length. */
  readonly length: number;
  /** The backend that answered, `host:port`. */
  readonly backend: string;
}

/**
 * A proxied response's status line and header lines, written straight into the
 * client's response head (`writeTo`: the status line `HTTP/1.1 status reason\r\n`,
 * then `Name: value\r\n` each, no blank line), or taken as pairs.
 */
export interface ResponseHeaderBlock extends HeaderLines {
  /** The headers as pairs, names lower-cased, for a web `Response`. */
  pairs(): [string, string][];
}

/** What a proxy route answers: a proxied response, or one golb made (an error, the dummy handler). */
export type ProxyReply = ForwardedResponse | Response;

/** Where a proxy handler delivers its answer (golb's server: the client connection; the web path: a promise's resolve). */
export interface ReplyTarget {
  /** The answer to the request, given once; possibly before the handler returns (a refusal). */
  reply(reply: ProxyReply): void;
}

/**
 * A handler of proxied requests: answers `req` through `to`, once. It never
 * throws: failures become JSON error responses. A callback rather than a
 * promise, so a proxied answer reaches the client in the turn of the event
 * loop that read the upstream's head.
 */
export type ProxyHandler = (req: ClientRequest, to: ReplyTarget) => void;

/** {@link declaredBody}: the request has no body and no Content-Length. */
export const NO_BODY = -2;
/** {@link declaredBody}: the body is chunked (Transfer-Encoding). */
export const CHUNKED_BODY = -1;

/**
 * The body a proxied request declares, checked: its Content-Length (0 or
 * more), {@link CHUNKED_BODY} or {@link NO_BODY}, as a number so that the
 * check costs no object per request. The framing headers tell whether a body
 * came: fetch-style servers hand GET and HEAD requests a null body whatever
 * followed them, and `req.body` is touched only to forward it (making the
 * stream starts reading the body, which a refused request never needs).
 * @throws {GatewayError} 413 over `maxBodySize`; 400 for a GET or HEAD with a
 *   body, which fetch-based servers drop silently: refused rather than
 *   changing the request's meaning.
 */
export function declaredBody(req: ClientRequest, maxBodySize: number, fn: string | undefined): number {
  const lengthHeader = req.headers.get('content-length');
  const length = lengthHeader === null ? (req.headers.has('transfer-encoding') ? CHUNKED_BODY : NO_BODY) : Number(lengthHeader);
  if (length > maxBodySize) throw new GatewayError('body_too_large', `request body over ${maxBodySize} bytes`, fn);
  if ((length > 0 || length === CHUNKED_BODY) && (req.method === 'GET' || req.method === 'HEAD')) {
    throw new GatewayError('bad_request', `${req.method} with a body is not supported`, fn);
  }
  return length;
}

/** `handler`'s answer to `req` as a promise. */
export function proxyReply(handler: ProxyHandler, req: ClientRequest): Promise<ProxyReply> {
  return new Promise<ProxyReply>((resolve) => handler(req, { reply: resolve }));
}

/** The reply as a web `Response`. */
export function toResponse(reply: ProxyReply): Response {
  if (reply instanceof Response) return reply;
  return new Response(reply.body === null ? null : reply.body.stream(), { status: reply.status, statusText: reply.reason, headers: reply.headers.pairs() });
}

/**
 * What the links of a proxy chain set on a request as it passes (the
 * {@link ClientRequest} fields that are not the request's own), as they are
 * before any link ran: the base of both kinds of request.
 */
export abstract class ChainMarks {
  forwardedBy: string | null = null;
  requestId: string | undefined = undefined;
  onResponseEnd: ResponseEndListener | undefined = undefined;
  trace: AttemptTimes | undefined = undefined;
}

/** A fetch-style `Request` (with what its server handed along) as a {@link ClientRequest}. */
export class WebRequest extends ChainMarks implements ClientRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly reportsEnd = false;
  private readonly req: Request;
  private readonly env: unknown;
  private readonly runtime: RuntimeAdapter;

  constructor(req: Request, env: unknown, runtime: RuntimeAdapter) {
    super();
    this.req = req;
    this.env = env;
    this.runtime = runtime;
    this.method = req.method;
    this.headers = req.headers;
  }

  get target(): string {
    return requestTarget(this.req.url);
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.req.body;
  }

  get signal(): AbortSignal {
    return this.req.signal;
  }

  get clientAddress(): string {
    return this.runtime.clientAddress(this.req, this.env);
  }
}

/** A web handler of the proxy handler: `(Request, env) → Response`, for Hono's routes. */
export function webHandler(handler: ProxyHandler, runtime: RuntimeAdapter): (req: Request, env: unknown) => Promise<Response> {
  return (req, env) => {
    const web = new WebRequest(req, env, runtime);
    return proxyReply(handler, web).then((reply) => {
      const res = toResponse(reply);
      // A proxied answer's headers carry the id already; golb's own answers get it here.
      if (reply instanceof Response && web.requestId !== undefined) res.headers.set('x-request-id', web.requestId);
      return res;
    });
  };
}
