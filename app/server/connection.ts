/**
 * One client connection of golb's HTTP/1.1 server (`http1-server.ts`): parses
 * its requests one at a time (`request-parser.ts`), hands each to the proxy
 * route or the web app, and writes the answer.
 *
 * - A request is dispatched once the read that completed its head has been
 *   parsed through, so a body that breaks in that same read (a bad chunk
 *   size) is refused with a 400 before anything goes upstream.
 * - Memory per connection is bounded whatever the client sends and however
 *   slowly it reads. Pipelined requests wait: bytes after a complete request
 *   are held, unparsed, until its response has gone out, and the socket is
 *   paused once {@link PIPELINE_LIMIT} of them are held. A next request is
 *   parsed only while the client reads what it was sent: with a write queued
 *   (the client reads nothing), golb holds its input instead of answering more.
 * - A request body up to the server's `requestBufferBytes` is read whole
 *   before the request is dispatched (nginx's `proxy_request_buffering`), so a
 *   client sending slowly holds no backend connection; `Expect: 100-continue`
 *   is then answered at once. A longer body is dispatched after its first
 *   `requestBufferBytes` and streams: a web stream made only when the route
 *   reads it; the socket is paused while it holds 8 chunks, and
 *   `Expect: 100-continue` is answered when the body is first read.
 * - A body that makes no progress for the server's `bodyTimeoutMs` (while golb
 *   is reading it), and a head that is not complete within the idle timeout,
 *   are answered 408 and the connection closed.
 * - A proxied answer is written as it comes: the head (in one write with
 *   the first body bytes when the body is length-framed and they are at most
 *   {@link MERGE_LIMIT}), then the upstream's body through the engine's sink,
 *   with backpressure both ways; a body of unknown length goes out chunked
 *   (closing the connection for an HTTP/1.0 client).
 * - A response that goes out before the request body was read whole (an
 *   early 413 or 403) is followed by reading and dropping the rest, up to
 *   {@link DISCARD_LIMIT}, so the client sees the answer and can go on.
 * - The connection is its request's `signal` ({@link AbortLike}): a client
 *   that closes abandons the upstream exchange, with no AbortSignal made.
 * @module
 */
import type { ClientRequest, ForwardedResponse, ProxyReply, ReplyTarget } from '../client-request.ts';
import type { AbortLike, BodySink, HeaderLines, ResponseBody } from '../proxy/engine.ts';
import { textHeaderLines } from '../proxy/forward-headers.ts';
import type { TransportEvents, TransportSocket } from '../net/transport.ts';
import { ERROR_HEADERS, GatewayError, codeOfStatus, errorBody } from '../errors.ts';
import { fieldContentOk, putBytes } from '../http/syntax.ts';
import { REASONS } from '../http/status-reasons.ts';
import { RequestParser, type RequestHead, type RequestHeaders, type RequestSink } from './request-parser.ts';
import type { Http1Server, JsonAnswer } from './http1-server.ts';
import { isIPv4Address } from '../ip-address.ts';

/** Most request body bytes dropped after an early response before the connection is closed instead. */
const DISCARD_LIMIT = 16 * 1024 * 1024;
/** Bytes of pipelined requests held while one is served before the socket is paused. */
const PIPELINE_LIMIT = 64 * 1024;
/** Body chunks the request body stream holds before the socket is paused. */
const BODY_CHUNKS = 8;
/** Why reading is paused (bits of `ClientConnection.pauses`): the request body is not taken fast enough. */
const PAUSED_BODY = 1;
/** Why reading is paused: pipelined input is held while a response is out or the client reads nothing. */
const PAUSED_HOLD = 2;
/** A body chunk up to this size goes out in one write with the response head. */
const MERGE_LIMIT = 16 * 1024;

/**
 * The ends of response heads, as bytes, by framing (none, an empty body,
 * chunked) and then by connection (kept, closing, kept for an HTTP/1.0
 * client): see `ClientConnection.headEnd`.
 */
const HEAD_END_BYTES = ['', 'content-length: 0\r\n', 'transfer-encoding: chunked\r\n'].flatMap((framing) =>
  ['', 'connection: close\r\n', 'connection: keep-alive\r\n'].map((connection) => Buffer.from(`${framing}${connection}\r\n`, 'latin1')),
);

/**
 * Where response heads (and a small body after them) are rendered just before
 * they are written: one buffer for all connections, since the write happens at
 * once and the transport copies what it cannot send (`writeCopy`).
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** What the connection is doing, and so which timeout applies. */
const enum Phase {
  /** Between requests, or reading a request head: the idle timeout. */
  Idle,
  /** Serving a request: no deadline here. */
  Busy,
  /** Reading and dropping the rest of a request body after its response. */
  Discarding,
}

/** A request as the routes see it ({@link ClientRequest}). */
class ServerRequest implements ClientRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: RequestHeaders;
  readonly head: RequestHead;
  private readonly conn: ClientConnection;
  /** The body stream, once made. */
  stream: ReadableStream<Uint8Array> | null | undefined = undefined;

  constructor(conn: ClientConnection, head: RequestHead) {
    this.conn = conn;
    this.head = head;
    this.method = head.method;
    this.target = head.target;
    this.headers = head.headers;
  }

  get hasBody(): boolean {
    return this.head.contentLength > 0 || this.head.chunked;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.stream === undefined) this.stream = this.hasBody ? this.conn.bodyStream() : null;
    return this.stream;
  }

  get signal(): AbortLike {
    return this.conn;
  }

  get clientAddress(): string {
    return this.conn.remoteAddress;
  }

}

/** The request body's stream source; one per request that has a body and whose body is read. */
class BodySource implements UnderlyingDefaultSource<Uint8Array> {
  private readonly conn: ClientConnection;
  controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;

  constructor(conn: ClientConnection) {
    this.conn = conn;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    this.conn.bodyStarted(controller);
  }

  pull(): void {
    this.conn.resumeRead(PAUSED_BODY);
  }

  cancel(): void {
    this.controller = undefined;
    this.conn.bodyCancelled();
  }

  /** The body is complete: the reader sees its end. */
  close(): void {
    const c = this.controller;
    this.controller = undefined;
    c?.close();
  }

  /** The body will not come: the reader sees `reason`. */
  fail(reason: string): void {
    const c = this.controller;
    this.controller = undefined;
    c?.error(new Error(reason));
  }
}

/** Where the engine pushes a proxied answer's body: the connection's writer (one per connection). */
class ReplySink implements BodySink {
  private readonly conn: ClientConnection;

  constructor(conn: ClientConnection) {
    this.conn = conn;
  }

  write(chunk: Uint8Array): boolean {
    return this.conn.writeBody(chunk);
  }

  end(): void {
    this.conn.bodyEnd();
  }

  abort(): void {
    this.conn.destroy();
  }
}

/** The error headers as lines of a response head. */
const ERROR_HEAD_LINES = Object.entries(ERROR_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');

/** A client connection. */
export class ClientConnection implements TransportEvents, RequestSink, AbortLike, ReplyTarget {
  readonly remoteAddress: string;
  private readonly server: Http1Server;
  private readonly socket: TransportSocket;
  private readonly parser: RequestParser;
  private phase = Phase.Idle;
  /** The sweep tick of the last activity (idle), or when the head started (reading one). */
  private lastTick: number;
  /** The request being served. */
  private current: ServerRequest | undefined = undefined;
  /** It is ready to go to a route (its head, and a buffered body, are in): it is dispatched after the read being handled. */
  private undispatched = false;
  /** It went to a route. */
  private dispatched = false;
  /** Its body is being read whole before it is dispatched (`requestBufferBytes`). */
  private buffering = false;
  /** Body bytes read before the route took the body. */
  private earlyBytes = 0;
  /** The sweep tick of the last progress of the request body (or of the head's end). */
  private bodyTick = 0;
  /** Bytes after the current request (pipelined), kept unparsed until its response is out and the client reads. */
  private pending: Buffer | undefined = undefined;
  /** {@link advance} is running: a response finished inside it lets the loop go on rather than recurse. */
  private advancing = false;
  /** The current request's body was read whole. */
  private requestDone = false;
  /** Body chunks read before the route took the body. */
  private early: Uint8Array[] | undefined = undefined;
  private bodySource: BodySource | undefined = undefined;
  private continueSent = false;
  /** The connection stays open after the current response. */
  private keepAlive = true;
  /** The response head has been written (or is merged with the first body bytes). */
  private responding = false;
  /** A refusal of the current request (its body broke) that replaces whatever the route answers. */
  private refusal: { status: number; reason: string } | undefined = undefined;
  /** An answer's status and header lines waiting to go out with the first body bytes, then {@link pendingEnd}. */
  private pendingHeaders: HeaderLines | undefined = undefined;
  /** The end of that head (one of {@link HEAD_END_BYTES}). */
  private pendingEnd: Buffer = HEAD_END_BYTES[0]!;
  private chunked = false;
  private replyBody: ResponseBody | undefined = undefined;
  /** Wakes a web response body writer waiting for a drain. */
  private drainWaiter: (() => void) | undefined = undefined;
  /** A write was queued: the client is slow to read. */
  private blocked = false;
  /** Why reading is paused: {@link PAUSED_BODY}, {@link PAUSED_HOLD}; 0 while reading. */
  private pauses = 0;
  /** The socket is paused (kept in step with `pauses` by {@link syncRead}). */
  private socketPaused = false;
  private discarded = 0;
  private closed = false;
  private abortListener: EventListenerObject | undefined = undefined;
  /** Close once the current response (if any) is out: the server drains. */
  private closing = false;
  private readonly sink: ReplySink;

  constructor(server: Http1Server, socket: TransportSocket, remoteAddress: string) {
    this.server = server;
    this.socket = socket;
    this.remoteAddress = remoteAddress;
    this.parser = new RequestParser(this);
    this.sink = new ReplySink(this);
    this.lastTick = server.tick;
  }

  // --- AbortLike: the current request's signal ---

  get aborted(): boolean {
    return this.closed;
  }

  addEventListener(_type: 'abort', listener: EventListenerObject): void {
    this.abortListener = listener;
  }

  removeEventListener(_type: 'abort', listener: EventListenerObject): void {
    if (this.abortListener === listener) this.abortListener = undefined;
  }

  // --- socket events ---

  onOpen(): void {}

  onData(data: Buffer): void {
    try {
      this.handleData(data);
    } catch (err) {
      // A fault of golb's, never a client's input, must not take the process down: this connection goes.
      this.server.options.onError(err);
      this.destroy();
    }
  }

  private handleData(data: Buffer): void {
    if (this.closed) return;
    if (this.pending !== undefined || (this.current === undefined ? this.blocked : this.requestDone)) {
      // Pipelined, or the client reads nothing of what it was sent: the next
      // request waits, unparsed, for this response to go out (advance).
      this.pending = this.pending === undefined ? data : Buffer.concat([this.pending, data]);
      if (this.pending.length >= PIPELINE_LIMIT) this.pauseRead(PAUSED_HOLD);
      return;
    }
    if (this.phase === Phase.Idle && this.parser.idle) this.lastTick = this.server.tick; // a head starts: its deadline
    this.parse(data);
  }

  /** Feeds `data` to the parser; the bytes after a complete request are held; a request ready for its route goes there. */
  private parse(data: Buffer): void {
    const used = this.parser.feed(data);
    if (this.closed) return;
    if (used < data.length) this.pending = data.subarray(used);
    if (this.undispatched) {
      this.undispatched = false;
      if (this.refusal === undefined) this.dispatch(this.current!);
    } else if (this.phase === Phase.Discarding && this.requestDone) {
      // The dropped body is over: on to the next request (the parser is out of its feed now).
      this.afterResponse();
    }
  }

  /**
   * Between requests: parses the held pipelined bytes while the client reads
   * what it is sent, then reads on unless the held bytes reach the limit. A
   * loop, not a recursion: a pipelined request answered at once (a probe)
   * ends inside `parse`, and its `next()` comes back here.
   */
  private advance(): void {
    if (this.advancing) return;
    this.advancing = true;
    try {
      while (!this.closed && this.current === undefined && this.pending !== undefined && !this.blocked) {
        const data = this.pending;
        this.pending = undefined;
        this.lastTick = this.server.tick;
        this.parse(data);
      }
    } finally {
      this.advancing = false;
    }
    if (this.closed) return;
    if (this.pending !== undefined && this.pending.length >= PIPELINE_LIMIT) this.pauses |= PAUSED_HOLD;
    else this.pauses &= ~PAUSED_HOLD;
    this.syncRead();
  }

  onDrain(): void {
    this.blocked = false;
    this.lastTick = this.server.tick;
    const body = this.replyBody;
    if (body !== undefined) body.resume();
    const waiter = this.drainWaiter;
    if (waiter !== undefined) {
      this.drainWaiter = undefined;
      waiter();
    }
    // Between requests, the client has read what it was sent: on to what it pipelined.
    if (this.current === undefined && !this.closed) this.advance();
  }

  onEnd(): void {
    // The client will send no more (half-close): a whole request is answered, then
    // the connection closes; between requests, or mid-head or mid-body, it closes now.
    if (this.current === undefined || !this.requestDone) this.destroy();
    else this.keepAlive = false;
  }

  onClose(): void {
    if (!this.closed) this.markClosed();
  }

  // --- the parser's reports ---

  head(head: RequestHead): void {
    this.phase = Phase.Busy;
    this.current = new ServerRequest(this, head);
    this.requestDone = false;
    this.continueSent = false;
    this.dispatched = false;
    this.earlyBytes = 0;
    this.bodyTick = this.server.tick;
    this.keepAlive = head.keepAlive && !this.closing && !this.server.draining;
    const buffer = this.server.options.requestBufferBytes;
    // A chunked body of unknown length is buffered too, up to the limit (then it streams).
    this.buffering = buffer > 0 && (head.chunked || (head.contentLength > 0 && head.contentLength <= buffer));
    this.undispatched = !this.buffering;
    if (this.buffering && head.expectContinue) {
      // The client waits for this before it sends the body golb reads now (as nginx does).
      this.continueSent = true;
      this.socket.write(CONTINUE);
    }
  }

  body(chunk: Uint8Array): void {
    this.bodyTick = this.server.tick;
    if (this.phase === Phase.Discarding) {
      this.discarded += chunk.length;
      this.lastTick = this.server.tick;
      if (this.discarded > DISCARD_LIMIT) this.destroy();
      return;
    }
    const c = this.bodySource?.controller;
    if (c !== undefined) {
      c.enqueue(chunk);
      if ((c.desiredSize ?? 1) <= 0) this.pauseRead(PAUSED_BODY);
    } else if (this.bodySource === undefined) {
      // Not read yet (or never: the response may go out first).
      this.earlyBytes += chunk.length;
      if (this.early === undefined) this.early = [chunk];
      else this.early.push(chunk);
      if (this.buffering) {
        if (this.earlyBytes > this.server.options.requestBufferBytes) {
          // Longer than the buffer (chunked): dispatched after this read, the rest streams.
          this.buffering = false;
          this.undispatched = true;
        }
      } else if (this.early.length >= BODY_CHUNKS) this.pauseRead(PAUSED_BODY);
    }
    // A cancelled body: dropped.
  }

  end(): void {
    this.requestDone = true;
    if (this.buffering) {
      // The whole body is in: now the request goes to its route (after this read).
      this.buffering = false;
      this.undispatched = true;
    }
    this.bodySource?.close();
  }

  error(status: number, reason: string): void {
    this.refusal = { status, reason };
    this.keepAlive = false;
    if (this.current === undefined || !this.dispatched) {
      // Nothing was handed to a route: refuse at once.
      this.undispatched = false;
      this.writeRefusal(status, reason);
      return;
    }
    // The body broke after the request went to a route: its stream fails, and
    // whatever the route answers is replaced by this refusal (or, when its
    // response has started, the connection is cut).
    this.bodySource?.fail(reason);
    if (this.phase === Phase.Discarding || this.responding) this.destroy();
  }

  // --- dispatch ---

  private dispatch(req: ServerRequest): void {
    this.dispatched = true;
    const { proxy, fetch } = this.server.options;
    if (proxy !== undefined && req.target.startsWith('/function/')) {
      // The route answers through `reply`: for a proxied request, in the turn that reads the upstream's head.
      try {
        proxy(req, this);
      } catch (err) {
        this.onFailure(err);
      }
      return;
    }
    const direct = this.server.options.direct?.(req.method, req.target);
    // A Host that may not form a URL goes the web way, which refuses it with 400.
    if (direct !== undefined && isPlainHost(req.headers.get('host'))) {
      this.writeJson(direct);
      return;
    }
    let web: Request;
    try {
      web = webRequest(req);
    } catch {
      // A Host (or target) no URL can be made of: the client's fault, not golb's.
      this.writeRefusal(400, 'the Host header and request target do not form a URL');
      return;
    }
    let answer: Response | Promise<Response>;
    try {
      answer = fetch(web, this);
    } catch (err) {
      this.onFailure(err);
      return;
    }
    if (answer instanceof Response) this.onReply(answer);
    else answer.then(this.onReply, this.onFailure);
  }

  private readonly onReply = (reply: ProxyReply): void => this.reply(reply);

  /** ReplyTarget: the answer to the current request (the proxy route's, or the web app's). */
  reply(reply: ProxyReply): void {
    try {
      this.writeReply(reply);
    } catch (err) {
      this.onFailure(err);
    }
  }

  private writeReply(reply: ProxyReply): void {
    if (this.closed) {
      if (!(reply instanceof Response)) reply.body?.cancel();
      else void reply.body?.cancel().catch(() => undefined);
      return;
    }
    if (this.refusal !== undefined) {
      if (!(reply instanceof Response)) reply.body?.cancel();
      this.writeRefusal(this.refusal.status, this.refusal.reason);
      return;
    }
    if (reply instanceof Response) this.writeWeb(reply).catch(this.onFailure);
    else this.writeForwarded(reply);
  }

  private readonly onFailure = (err: unknown): void => {
    this.server.options.onError(err);
    if (this.closed) return;
    if (this.responding) this.destroy();
    else this.writeRefusal(500, 'internal error');
  };

  // --- the request body ---

  /** Makes the current request's body stream (the route reads it). */
  bodyStream(): ReadableStream<Uint8Array> {
    this.bodySource = new BodySource(this);
    return new ReadableStream<Uint8Array>(this.bodySource, { highWaterMark: BODY_CHUNKS });
  }

  /** The body stream started: what was read already goes in first; a client waiting for `100 Continue` gets it. */
  bodyStarted(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const head = this.current!.head;
    if (head.expectContinue && !this.continueSent && !this.responding) {
      this.continueSent = true;
      this.socket.write(CONTINUE);
    }
    const early = this.early;
    this.early = undefined;
    if (early !== undefined) for (const chunk of early) controller.enqueue(chunk);
    if (this.requestDone) this.bodySource!.close();
    else if (this.refusal !== undefined) this.bodySource!.fail(this.refusal.reason);
  }

  /** The route stopped reading the body: the rest is dropped. */
  bodyCancelled(): void {
    this.resumeRead(PAUSED_BODY);
  }

  /** Lifts one reason to pause reading; the socket reads again once no reason is left. */
  resumeRead(reason: number): void {
    if ((this.pauses & reason) === 0) return;
    this.pauses &= ~reason;
    if (reason === PAUSED_BODY) this.bodyTick = this.server.tick; // the body's clock runs from now again
    this.syncRead();
  }

  private pauseRead(reason: number): void {
    this.pauses |= reason;
    this.syncRead();
  }

  /** Pauses or resumes the socket to match `pauses`. */
  private syncRead(): void {
    const paused = this.pauses !== 0;
    if (paused === this.socketPaused || this.closed) return;
    this.socketPaused = paused;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  // --- writing responses ---

  /** The status line; `keepAlive` settled ({@link settleKeepAlive}). */
  private statusLine(status: number, reason: string): string {
    this.settleKeepAlive();
    return `HTTP/1.1 ${status} ${reason}\r\n`;
  }

  /** Clears `keepAlive` when the connection must close after this response. */
  private settleKeepAlive(): void {
    const req = this.current;
    if (req !== undefined && !this.requestDone && req.head.expectContinue && !this.continueSent) {
      // The client waits for 100 Continue it will not get: it may send the body or not; close.
      this.keepAlive = false;
    }
    if (this.server.draining || this.closing) this.keepAlive = false;
  }

  /**
   * The end of a response head (one of {@link HEAD_END_BYTES}): how its
   * body is framed and whether the connection stays. `length` is the body's
   * Content-Length (among the headers already written), -1 when unknown: then
   * the body goes out chunked, or, to an HTTP/1.0 client, ends with the
   * connection; none for a response that has no body ({@link noBody}). Sets
   * `chunked`.
   */
  private headEnd(status: number, length: number, hasBody: boolean): Buffer {
    const req = this.current!;
    let framing = 0;
    this.chunked = false;
    if (length < 0 && !this.noBody(status)) {
      if (!hasBody) framing = 1;
      else if (req.head.http10) this.keepAlive = false; // framed by the close
      else {
        this.chunked = true;
        framing = 2;
      }
    }
    this.responding = true;
    return HEAD_END_BYTES[framing * 3 + (!this.keepAlive ? 1 : req.head.http10 ? 2 : 0)]!;
  }

  /** True when a response to the current request with `status` carries no body. */
  private noBody(status: number): boolean {
    return this.current!.method === 'HEAD' || status === 204 || status === 304 || status < 200;
  }

  /**
   * Writes a proxied answer: its head, rendered when the first body bytes
   * arrive (into {@link SCRATCH}, with a small length-framed body after it, so
   * head and body go out in one send), then its body as the engine delivers it.
   */
  private writeForwarded(reply: ForwardedResponse): void {
    const status = reply.status;
    this.settleKeepAlive();
    const body = reply.body;
    this.pendingEnd = this.headEnd(status, reply.length, body !== null);
    this.pendingHeaders = reply.headers;
    if (body === null || this.noBody(status)) {
      body?.cancel();
      this.sendHead(undefined);
      this.afterResponse();
      return;
    }
    this.replyBody = body;
    body.pipe(this.sink);
  }

  /**
   * Writes the pending head (proxied or not), with `chunk` after it in the
   * same write; false when the client is slow to read. The head is rendered
   * into {@link SCRATCH} when it fits (the transport copies what it cannot
   * send at once), so a small answer allocates nothing here.
   */
  private sendHead(chunk: Uint8Array | undefined): boolean {
    const headers = this.pendingHeaders!;
    const end = this.pendingEnd;
    this.pendingHeaders = undefined;
    const most = headers.byteLength + end.length + (chunk === undefined ? 0 : chunk.length);
    const buf = most <= SCRATCH.length ? SCRATCH : Buffer.allocUnsafe(most);
    let at = putBytes(buf, headers.writeTo(buf, 0), end, 0, end.length);
    if (chunk !== undefined) at = putBytes(buf, at, chunk, 0, chunk.length);
    const ok = buf === SCRATCH ? this.socket.writeCopy(buf, at) : this.socket.write(buf.subarray(0, at));
    if (!ok) this.writeBlocked();
    return ok;
  }

  /** Body bytes of the answer (the head first, when it has not gone out); false when the client is slow to read. */
  writeBody(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.pendingHeaders !== undefined) {
      // A small length-framed chunk goes out with the head: one send(2) for a small answer.
      if (!this.chunked && chunk.length <= MERGE_LIMIT) return this.sendHead(chunk);
      this.sendHead(undefined);
    }
    const ok = this.chunked ? this.socket.writeChunk(chunk) : this.socket.write(chunk);
    if (!ok) this.writeBlocked();
    return ok;
  }

  /** A write was queued: the sweep times the client's reading from now. */
  private writeBlocked(): void {
    this.blocked = true;
    this.lastTick = this.server.tick;
  }

  /** The answer's body is complete. */
  bodyEnd(): void {
    if (this.closed) return;
    if (this.pendingHeaders !== undefined) this.sendHead(undefined);
    if (this.chunked) this.socket.write('0\r\n\r\n');
    this.replyBody = undefined;
    this.afterResponse();
  }

  /** Writes a web `Response` (golb's own answers, the web app's). */
  private async writeWeb(res: Response): Promise<void> {
    const status = res.status;
    let head = this.statusLine(status, res.statusText === '' ? (REASONS[status] ?? 'Unknown') : res.statusText);
    let length = -1;
    let hasDate = false;
    for (const [name, value] of res.headers) {
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive') continue;
      else if (name === 'date') hasDate = true;
      if (!fieldContentOk(value, 0, value.length)) continue; // a web handler's control bytes are dropped, never relayed
      head += name + ': ' + value + '\r\n';
    }
    if (!hasDate) head += 'date: ' + this.server.date + '\r\n';
    this.pendingEnd = this.headEnd(status, length, res.body !== null);
    this.pendingHeaders = textHeaderLines(head);
    const body = this.noBody(status) ? null : res.body;
    if (body === null) {
      void res.body?.cancel().catch(() => undefined);
      this.sendHead(undefined);
      this.afterResponse();
      return;
    }
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (this.closed) {
          void reader.cancel().catch(() => undefined);
          return;
        }
        if (value.length === 0) continue;
        if (!this.writeBody(value)) await new Promise<void>((r) => (this.drainWaiter = r));
        if (this.closed) {
          void reader.cancel().catch(() => undefined);
          return;
        }
      }
    } catch {
      this.destroy(); // the body failed: the client sees it cut
      return;
    }
    this.bodyEnd();
  }

  /** Writes a JSON answer the server made itself (`Http1ServerOptions.direct`). */
  private writeJson(answer: JsonAnswer): void {
    const status = answer.status;
    const body = Buffer.from(answer.body);
    let head = this.statusLine(status, REASONS[status] ?? 'Unknown');
    head += `content-type: application/json\r\ncontent-length: ${body.length}\r\ndate: ${this.server.date}\r\n`;
    this.pendingEnd = this.headEnd(status, body.length, true);
    this.pendingHeaders = textHeaderLines(head);
    if (this.noBody(status)) this.sendHead(undefined);
    else this.writeBody(body); // head and body in one write
    this.afterResponse();
  }

  /** Answers a refused request with golb's JSON error and closes the connection. */
  private writeRefusal(status: number, reason: string): void {
    if (this.closed) return;
    if (this.responding) {
      this.destroy();
      return;
    }
    this.keepAlive = false;
    const body = errorBody(new GatewayError(codeOfStatus(status), reason), this.server.options.origin);
    this.responding = true;
    this.socket.write(
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n${ERROR_HEAD_LINES}content-length: ${Buffer.byteLength(body)}\r\ndate: ${this.server.date}\r\nconnection: close\r\n\r\n${body}`,
    );
    this.closeAfterWrite();
  }

  /** The response is out: next request, the rest of this body to drop, or close. */
  private afterResponse(): void {
    if (this.closed) return;
    if (!this.requestDone && this.current !== undefined) {
      if (!this.keepAlive && this.current.head.expectContinue && !this.continueSent) {
        this.closeAfterWrite();
        return;
      }
      // Read the rest of the body and drop it, so the client sees the answer (no reset) and, kept alive, can go on.
      this.phase = Phase.Discarding;
      this.lastTick = this.server.tick;
      this.early = undefined;
      // Whoever still reads the body (the engine dropping it) stops.
      this.bodySource?.fail('the response went out before the request body was read');
      this.resumeRead(PAUSED_BODY);
      return;
    }
    if (!this.keepAlive) {
      this.closeAfterWrite();
      return;
    }
    this.next();
  }

  /** Ready for the next request; a pipelined one is parsed now. */
  private next(): void {
    this.current = undefined;
    this.responding = false;
    this.refusal = undefined;
    this.early = undefined;
    this.bodySource = undefined;
    this.replyBody = undefined;
    this.discarded = 0;
    this.earlyBytes = 0;
    this.dispatched = false;
    this.buffering = false;
    // The last body's stream may have ended paused: nothing of it is read any more (advance syncs the socket).
    this.pauses &= ~PAUSED_BODY;
    this.phase = Phase.Idle;
    this.lastTick = this.server.tick;
    this.parser.reset();
    if (this.closing) {
      this.closeAfterWrite();
      return;
    }
    this.advance();
  }

  // --- closing ---

  /** Closes the connection now if it is between requests, else after the current response. */
  closeWhenIdle(): void {
    this.closing = true;
    if (this.current === undefined && this.parser.idle) this.closeAfterWrite();
  }

  /**
   * The sweep: a request body golb is reading that made no progress for the
   * body timeout, and a head not complete within the idle timeout, are
   * answered 408; a connection idle, or with a blocked write, for longer than
   * the idle timeout is closed. A request being proxied has no deadline here.
   */
  check(tick: number): void {
    if (this.phase === Phase.Busy) {
      if (!this.requestDone && this.pauses === 0 && tick - this.bodyTick > this.server.bodyTicks) {
        this.timedOut('request body timed out (no progress)');
        return;
      }
      if (!this.blocked) return;
    }
    if (tick - this.lastTick <= this.server.idleTicks) return;
    if (this.phase === Phase.Idle && this.current === undefined && this.pending === undefined && !this.parser.idle) this.timedOut('request head timed out');
    else this.destroy();
  }

  /** 408 and close, or just close when a response has started. */
  private timedOut(reason: string): void {
    if (this.responding) this.destroy();
    else this.writeRefusal(408, reason);
  }

  private closeAfterWrite(): void {
    if (this.closed) return;
    this.markClosed();
    this.socket.end();
  }

  /** Closes at once. */
  destroy(): void {
    if (this.closed) return;
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.closed = true;
    this.server.forget(this);
    this.bodySource?.fail('client went away');
    const body = this.replyBody;
    this.replyBody = undefined;
    body?.cancel();
    const listener = this.abortListener;
    this.abortListener = undefined;
    listener?.handleEvent(new Event('abort'));
    const waiter = this.drainWaiter;
    this.drainWaiter = undefined;
    waiter?.();
  }
}

const HOST_LABEL = /^[A-Za-z0-9-]{1,63}$/;

/**
 * True when `host` (a Host header; none means `localhost`) certainly forms a
 * URL: a dotted IPv4 address or a host name whose last label starts with a
 * letter (a name ending in a number is read as IPv4), no punycode label, and
 * an optional port up to 65535. Anything else may still form one; the web
 * path decides (`webRequest`), as the URL parser costs memory the probes need not.
 */
export function isPlainHost(host: string | null): boolean {
  if (host === null) return true;
  const colon = host.lastIndexOf(':');
  const name = colon < 0 ? host : host.slice(0, colon);
  if (colon >= 0) {
    const port = host.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return false;
  }
  if (isIPv4Address(name)) return true;
  const labels = name.split('.');
  const last = labels[labels.length - 1]!;
  if (!/^[A-Za-z]/.test(last)) return false;
  return labels.every((label) => HOST_LABEL.test(label) && !/^xn--/i.test(label));
}

/**
 * The request as a web `Request` for the web app, with the method as
 * received. A method is case-sensitive (RFC 9110 §9.1), but `Request`
 * upper-cases `delete`, `get`, `head`, `options`, `post` and `put` in any case
 * (Fetch's normalization), Bun's makes a method it does not know `GET`, and
 * every runtime refuses `TRACE`, `TRACK` and a body on a `get`: so the object
 * is made as a plain `GET` or `POST` and the method received is set on it, so
 * Hono routes by it and the node pool forwards it as it came.
 */
function webRequest(req: ServerRequest): Request {
  // The parser checked both to be host[:port]: neither can move the path (RFC 9112 §3.2.2: absolute-form's authority wins).
  const host = req.head.authority || req.headers.get('host') || 'localhost';
  const target = req.target === '*' ? '/' : req.target;
  const method = req.method;
  const body = method === 'GET' || method === 'HEAD' ? null : req.body;
  const init: RequestInit & { duplex?: 'half' } = { method: body === null ? 'GET' : 'POST', headers: req.headers.pairs, body };
  if (body !== null) init.duplex = 'half';
  const web = new Request(`http://${host}${target}`, init);
  if (web.method !== method) Object.defineProperty(web, 'method', { value: method });
  return web;
}
