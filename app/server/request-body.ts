/**
 * The request body of a client connection (`connection.ts`) and the request
 * as the routes see it.
 *
 * - A request body up to the server's `requestBufferBytes` is read whole
 *   before the request is dispatched (nginx's `proxy_request_buffering`), so a
 *   client sending slowly holds no backend connection; `Expect: 100-continue`
 *   is then answered at once. A longer body is dispatched after its first
 *   `requestBufferBytes` and streams: a web stream made only when the route
 *   reads it; the socket is paused while it holds {@link BODY_CHUNKS} chunks,
 *   and `Expect: 100-continue` is answered when the body is first read.
 * - The rest of a body whose response went out first is read and dropped
 *   ({@link DISCARD_LIMIT}).
 * @module
 */
import { ChainMarks, type ClientRequest } from '../client-request.ts';
import type { AbortLike } from '../proxy/engine.ts';
import type { RequestHead, RequestHeaders } from './request-parser.ts';
import { ResponseWriter } from './response-writer.ts';
import { ByteBuffer } from './byte-buffer.ts';

/** Most request body bytes dropped after an early response before the connection is closed instead. */
const DISCARD_LIMIT = 16 * 1024 * 1024;
/** Body chunks the request body stream holds before the socket is paused. */
const BODY_CHUNKS = 8;
/** Why reading is paused (bits of `RequestBodyReader.pauses`): the request body is not taken fast enough. */
export const PAUSED_BODY = 1;
/** Why reading is paused: pipelined input is held while a response is out or the client reads nothing. */
export const PAUSED_HOLD = 2;
export const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** What the connection is doing, and so which timeout applies. */
export const enum Phase {
  /** Between requests, or reading a request head: the idle timeout. */
  Idle,
  /** Serving a request: no deadline here. */
  Busy,
  /** Reading and dropping the rest of a request body after its response. */
  Discarding,
}

/** A request as the routes see it ({@link ClientRequest}). */
export class ServerRequest extends ChainMarks implements ClientRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: RequestHeaders;
  readonly head: RequestHead;
  readonly reportsEnd = true;
  private readonly conn: RequestBodyReader;
  /** The body stream, once made. */
  stream: ReadableStream<Uint8Array> | null | undefined = undefined;

  constructor(conn: RequestBodyReader, head: RequestHead) {
    super();
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
  private readonly conn: RequestBodyReader;
  controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;

  constructor(conn: RequestBodyReader) {
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

/** A client connection's request body: read whole, streamed, or dropped. */
export abstract class RequestBodyReader extends ResponseWriter implements AbortLike {
  protected phase = Phase.Idle;
  /** It is ready to go to a route (its head, and a buffered body, are in): it is dispatched after the read being handled. */
  protected undispatched = false;
  /** Its body is being read whole before it is dispatched (`requestBufferBytes`). */
  protected buffering = false;
  /** Body bytes read before the route took the body. */
  protected earlyBytes = 0;
  /** The sweep tick of the last progress of the request body (or of the head's end). */
  protected bodyTick = 0;
  /** Body chunks read before the route took the body. */
  protected early: Uint8Array[] | undefined = undefined;
  /** A buffered body's bytes once more than one piece came (`requestBufferBytes`). */
  protected bodyBuffer: ByteBuffer | undefined = undefined;
  protected bodySource: BodySource | undefined = undefined;
  /** Why reading is paused: {@link PAUSED_BODY}, {@link PAUSED_HOLD}; 0 while reading. */
  protected pauses = 0;
  /** The socket is paused (kept in step with `pauses` by {@link syncRead}). */
  private socketPaused = false;
  protected discarded = 0;

  /** Who hears the current request's abort (the upstream exchange): one at a time, no AbortSignal made. */
  private abortListener: EventListenerObject | undefined = undefined;

  // --- AbortLike: the connection is its current request's signal ---

  get aborted(): boolean {
    return this.closed;
  }

  /** The abort is golb's shutdown cutting the request (the drain timeout), not the client leaving. */
  shutdownCut = false;

  addEventListener(_type: 'abort', listener: EventListenerObject): void {
    this.abortListener = listener;
  }

  removeEventListener(_type: 'abort', listener: EventListenerObject): void {
    if (this.abortListener === listener) this.abortListener = undefined;
  }

  /** The client went away: the current request's listener hears the abort. */
  protected abortRequest(): void {
    const listener = this.abortListener;
    this.abortListener = undefined;
    listener?.handleEvent(new Event('abort'));
  }

  // --- the parser's reports of the body ---

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
      if (this.buffering) {
        this.collect(chunk);
        if (this.earlyBytes > this.server.options.requestBufferBytes) {
          // Longer than the buffer (chunked): dispatched after this read, the rest streams.
          this.buffering = false;
          this.undispatched = true;
          this.collected();
        }
      } else if (this.early === undefined) this.early = [chunk];
      else if (this.early.push(chunk) >= BODY_CHUNKS) this.pauseRead(PAUSED_BODY);
    }
    // A cancelled body: dropped.
  }

  /**
   * A piece of a body being buffered: the first is kept as it is (usually the
   * whole body), the next ones are copied into one buffer — a view per read
   * would let a body sent a byte at a time hold megabytes of views.
   */
  private collect(chunk: Uint8Array): void {
    if (this.early === undefined) {
      this.early = [chunk];
      return;
    }
    if (this.bodyBuffer === undefined) {
      const length = this.current!.head.contentLength;
      this.bodyBuffer = new ByteBuffer(length > 0 ? length : 2 * (this.early[0]!.length + chunk.length));
      this.bodyBuffer.append(this.early[0]!);
    }
    this.bodyBuffer.append(chunk);
  }

  /** The buffered body as the one piece the route reads first. */
  private collected(): void {
    if (this.bodyBuffer === undefined) return;
    this.early = [this.bodyBuffer.view()];
    this.bodyBuffer = undefined;
  }

  end(): void {
    this.requestDone = true;
    if (this.buffering) {
      // The whole body is in: now the request goes to its route (after this read).
      this.buffering = false;
      this.undispatched = true;
      this.collected();
    }
    this.bodySource?.close();
  }

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

  protected pauseRead(reason: number): void {
    this.pauses |= reason;
    this.syncRead();
  }

  /** Pauses or resumes the socket to match `pauses`. */
  protected syncRead(): void {
    const paused = this.pauses !== 0;
    if (paused === this.socketPaused || this.closed) return;
    this.socketPaused = paused;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }
}
