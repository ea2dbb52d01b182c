/**
 * The proxy engine's interface: how a route hands a request to an upstream and
 * gets its response back. One implementation, `http1-client.ts`, speaks
 * HTTP/1.1 on all three runtimes over a small socket interface
 * (`transport.ts`: `node:net` on Node and Deno, `Bun.connect` on Bun), so
 * framing, header handling and retries behave the same on Bun, Deno and Node (their `fetch`
 * implementations decode gzip behind the caller's back, drop or rewrite Host,
 * refuse `Expect` and retry on their own: docs/architecture.md).
 * @module
 */
import type { ResponseHead } from './response-head.ts';

/** A request for one upstream. */
export interface UpstreamRequest {
  method: string;
  /** Request target: path and query, starting with `/`. */
  target: string;
  host: string;
  port: number;
  /** `host:port` of the upstream: the connection pool's key and the Host header. */
  address: string;
  /** The header lines to send, without Host and framing headers (the engine adds Host, Content-Length or Transfer-Encoding). */
  headers: HeaderLines;
  /** The body, or null for none. */
  body: ReadableStream<Uint8Array> | null;
  /** The body's length when known (Content-Length); chunked otherwise. */
  bodyLength: number | undefined;
  /** Most body bytes accepted; more aborts with `body_too_large`. */
  maxBodySize: number;
  /** Fires when the client went away: the upstream exchange is abandoned. */
  signal: AbortLike | undefined;
}

/** Lines of a head, `Name: value\r\n` each (a status line first, for a response's), written straight into the buffer a head is rendered in. */
export interface HeaderLines {
  /** At most how many bytes `writeTo` writes. */
  readonly byteLength: number;
  /** Writes the lines into `buf` at `at`; returns the offset after them. */
  writeTo(buf: Buffer, at: number): number;
}

/**
 * What the engine needs of an `AbortSignal`: golb's own server hands its
 * client connection here instead, so no signal is made per request.
 */
export interface AbortLike {
  readonly aborted: boolean;
  /** True when the abort was golb's shutdown cutting the request (the drain timeout), not the client leaving. */
  readonly shutdownCut?: boolean;
  addEventListener(type: 'abort', listener: EventListenerObject): void;
  removeEventListener(type: 'abort', listener: EventListenerObject): void;
}

/** Where a response body goes when it is not read as a web stream (golb's own server writes it to the client socket). */
export interface BodySink {
  /** Body bytes, in order; false asks the engine to stop until {@link ResponseBody.resume}. The sink uses the bytes at once or copies them. */
  write(chunk: Uint8Array): boolean;
  /** The body is complete. */
  end(): void;
  /** The body broke off (the upstream failed or timed out mid-body): the client's response must end incomplete. */
  abort(reason: string): void;
}

/**
 * A response body arriving from the upstream, taken one way: as a web stream
 * (`stream()`, for fetch-style servers and tests) or pushed into a
 * {@link BodySink} (`pipe()`, golb's own server, with no stream object).
 * Bytes that arrive before either is called are kept until then.
 */
export interface ResponseBody {
  /** The body as a web stream. */
  stream(): ReadableStream<Uint8Array>;
  /** Delivers the body to `sink`. */
  pipe(sink: BodySink): void;
  /** The sink has room again after a `write` returned false. */
  resume(): void;
  /** The client is gone or will read no more: the exchange is abandoned. */
  cancel(): void;
}

/** The upstream's response; the body streams as it arrives. */
export interface UpstreamResponse {
  status: number;
  /** The parsed head: reason phrase, headers (as bytes, or as pairs on demand), framing. */
  head: ResponseHead;
  /** The body, null when the response has none (HEAD, 204, 304, length 0). */
  body: ResponseBody | null;
  /** The body's length when the upstream framed it by Content-Length (its header is in `head`); -1 otherwise. */
  length: number;
}

/** Why an upstream exchange failed. */
export type UpstreamFailure = 'connect' | 'timeout' | 'reset' | 'protocol' | 'body_too_large' | 'aborted';

/** A failed upstream exchange, before any response byte reached the client. */
export class UpstreamError extends Error {
  readonly failure: UpstreamFailure;
  /** True when request body bytes were handed to the upstream socket. */
  readonly bodySent: boolean;
  /** True when any response byte arrived. */
  readonly responseStarted: boolean;

  constructor(failure: UpstreamFailure, message: string, bodySent: boolean, responseStarted: boolean) {
    super(message);
    this.name = 'UpstreamError';
    this.failure = failure;
    this.bodySent = bodySent;
    this.responseStarted = responseStarted;
  }
}

/**
 * True for the methods sent again after a failure whatever reached the
 * upstream: the spec's idempotent list (RFC 9110 §9.2.2). The engine's resend
 * on a stale keep-alive socket and the route's retries both go by it.
 */
export function isIdempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'PUT' || method === 'DELETE';
}

/**
 * Where the engine reports how an exchange went, once: its response (the
 * head parsed, the body still arriving) or its failure before any response
 * byte. An object with methods rather than a promise: the route answers the
 * client in the same turn of the event loop as the read that completed the
 * head, with no promise or microtask per request.
 */
export interface ExchangeReply {
  response(res: UpstreamResponse): void;
  failure(err: UpstreamError): void;
  /** The exchange's new connection is open (not called for a reused one): the forwarding times the connect for a trace. */
  connected?(): void;
}

/** Sends requests to upstreams. */
export interface ProxyEngine {
  /** Sends `req`; `to` hears of the outcome once, possibly before `send` returns (a request whose client is gone already). */
  send(req: UpstreamRequest, to: ExchangeReply): void;
  /** {@link send} as a promise (health checks, tests); rejects with an {@link UpstreamError}. */
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Closes idle connections and stops timers. */
  close(): void;
  /** The upstream connections open now: busy (connecting, or carrying an exchange) and idle in the keep-alive pool; for `/metrics`. */
  openConnections?(): UpstreamConnections;
}

/** Upstream connections open, by what they do. */
export interface UpstreamConnections {
  busy: number;
  idle: number;
}
