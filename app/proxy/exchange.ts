/**
 * One request and its response on an upstream connection: writes the head,
 * pumps the request body with backpressure, parses the response
 * (response-parser.ts) and hands its body over, then gives the connection
 * back to the pool or drops it.
 *
 * The response is handed over once the read that completed its head is
 * parsed to its end; the exchange itself is its body (`ResponseBody`), taken
 * either as a web stream or piped into a sink (golb's server writes it to the
 * client socket). A body that came whole with the head is handed over whole;
 * otherwise it comes from the socket, which is paused while the client's side
 * holds {@link BODY_STRATEGY} chunks, or while a sink says it is full.
 * @module
 */
import type { ResponseParser, ResponseSink } from './response-parser.ts';
import type { ResponseHead } from './response-head.ts';
import { UpstreamError, isIdempotent, type BodySink, type ExchangeReply, type ResponseBody, type UpstreamFailure, type UpstreamRequest, type UpstreamResponse } from './engine.ts';
import type { Connection } from './http1-client.ts';
import { discard, renderRequestHead, requestHeadSize } from './request-head.ts';

/** Chunks buffered per response body before the upstream socket is paused. */
const BODY_STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 8 };
const CRLF = '\r\n';
/** Where request heads are rendered; a larger head gets its own buffer. */
const HEAD_SCRATCH = Buffer.allocUnsafe(16 * 1024);
/** Body chunks kept before the consumer takes the body ({@link ResponseBody}) beyond which the upstream socket is paused. */
const EARLY_CHUNKS = 8;

/** One request/response on a connection; also the response's {@link ResponseBody}. */
export class Exchange implements ResponseSink, ResponseBody {
  private readonly conn: Connection;
  private readonly req: UpstreamRequest;
  private readonly parser: ResponseParser;
  /** Hears the response or the failure; cleared once told. */
  private to: ExchangeReply | undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  /** Where the body goes when piped ({@link pipe}) rather than streamed. */
  private sink: BodySink | undefined = undefined;
  /** The body was taken (`stream()` or `pipe()`). */
  private taken = false;
  /** The parsed response, held until the read that completed its head is parsed to its end. */
  private parsed: UpstreamResponse | undefined = undefined;
  private keepAlive = false;
  private responseDone = false;
  private requestDone = false;
  private bodySent = false;
  private responseStarted = false;
  private done = false;
  /** The connection came from the pool: a reset before any response byte may be a stale socket. */
  private readonly reused: boolean;
  /** The response has a body (its framing is not `none`). */
  private hasBody = false;
  /** Body chunks read before the consumer took the body. */
  private early: Uint8Array[] | undefined = undefined;
  /** The first of them, usually the only one (a body that came with its head): no array for it. */
  private earlyFirst: Uint8Array | undefined = undefined;
  /** Wakes the request body pump waiting for the socket to drain. */
  private drained: (() => void) | undefined = undefined;

  constructor(conn: Connection, req: UpstreamRequest, to: ExchangeReply, reused: boolean) {
    this.conn = conn;
    this.req = req;
    this.to = to;
    this.reused = reused;
    this.parser = conn.responseParser(this, req.method === 'HEAD');
    conn.exchange = this;
    if (req.signal !== undefined) {
      if (req.signal.aborted) {
        this.fail('aborted', 'client went away');
        return;
      }
      // The exchange is the listener itself (handleEvent): no closure per request.
      req.signal.addEventListener('abort', this);
    }
    this.send();
  }

  /** True until the response's final head is read (a 1xx interim one does not count) or the exchange fails. */
  get awaitingHead(): boolean {
    return this.to !== undefined;
  }

  /** The client went away (the request's signal aborted). */
  handleEvent(): void {
    this.fail('aborted', 'client went away');
  }

  /** Writes the head and pumps the body. */
  private send(): void {
    const { req } = this;
    const conn = this.conn;
    conn.lastTick = conn.client.tick;
    // Rendered as bytes into a reused buffer: no string is built for the head.
    const size = requestHeadSize(req);
    const buf = size <= HEAD_SCRATCH.length ? HEAD_SCRATCH : Buffer.allocUnsafe(size);
    const at = renderRequestHead(buf, req);
    const chunked = req.body !== null && req.bodyLength === undefined;
    conn.socket.writeCopy(buf, at);
    if (req.body === null) this.requestDone = true;
    else void this.pump(req.body, chunked);
  }

  private async pump(body: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    const conn = this.conn;
    const socket = conn.socket;
    const reader = body.getReader();
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.done || this.responseDone) break;
        if (done) break;
        if (value.length === 0) continue;
        total += value.length;
        if (total > this.req.maxBodySize) {
          this.fail('body_too_large', 'request body over the limit');
          break;
        }
        conn.lastTick = conn.client.tick;
        const ok = chunked ? socket.writeChunk(value) : socket.write(value);
        this.bodySent = true;
        if (!ok && !this.done) await new Promise<void>((r) => (this.drained = r));
      }
    } catch {
      this.fail('aborted', 'client request body failed');
    }
    if (this.done || this.responseDone) {
      void discard(reader);
      if (!this.requestDone) this.keepAlive = false;
      this.maybeRelease();
      return;
    }
    if (chunked) socket.write(`0${CRLF}${CRLF}`);
    // Complete, even when it had no byte (an empty chunked body): it may have been acted on.
    this.bodySent = true;
    this.requestDone = true;
    this.maybeRelease();
  }

  onData(data: Buffer): void {
    this.responseStarted = true;
    this.parser.feed(data);
    // Told only now: a body that breaks in the same read as its head (a bad
    // chunk size right after it) fails the exchange with a clean 502 instead of
    // a 200 cut short, which some servers would not even start sending.
    const parsed = this.parsed;
    if (parsed !== undefined) {
      if (this.hasBody) parsed.body = this;
      const to = this.to!;
      this.parsed = this.to = undefined;
      // A response that came whole frees its connection first: the pool has it back before the client has the answer.
      if (this.responseDone) this.maybeRelease();
      // The route answers its client from here, before this read's handler returns (no promise, no microtask).
      to.response(parsed);
      return;
    }
    if (this.responseDone) this.maybeRelease();
  }

  onDrain(): void {
    const drained = this.drained;
    if (drained !== undefined) {
      this.drained = undefined;
      drained();
    }
  }

  onEof(): void {
    this.keepAlive = false;
    if (this.reused && !this.responseStarted) {
      // A pooled socket the upstream closed (FIN) before any byte of the answer:
      // the usual end of the keep-alive race, handled like a reset of one.
      this.fail('reset', 'upstream closed the reused connection before the response');
      return;
    }
    this.parser.eof();
  }

  head(head: ResponseHead): void {
    this.keepAlive = head.keepAlive;
    this.hasBody = head.framing !== 'none';
    this.parsed = { status: head.status, head, body: null, length: head.framing === 'length' ? head.length : -1 };
  }

  body(chunk: Uint8Array): void {
    const sink = this.sink;
    if (sink !== undefined) {
      if (!sink.write(chunk)) this.conn.pause();
      return;
    }
    const c = this.controller;
    if (c !== undefined) {
      c.enqueue(chunk);
      if ((c.desiredSize ?? 1) <= 0) this.conn.pause();
    } else {
      // Read before the consumer took the body (with the head, or while the response was on its way to it).
      if (this.earlyFirst === undefined) this.earlyFirst = chunk;
      else if (this.early === undefined) this.early = [chunk];
      else if (this.early.push(chunk) >= EARLY_CHUNKS - 1) this.conn.pause();
    }
  }

  /** ResponseBody: pushes the body into `sink`, what was read already first. */
  pipe(sink: BodySink): void {
    if (this.taken) throw new Error('response body already taken');
    this.taken = true;
    const first = this.earlyFirst;
    const early = this.early;
    this.earlyFirst = this.early = undefined;
    let room = true;
    if (first !== undefined) room = sink.write(first);
    if (early !== undefined) for (const chunk of early) room = sink.write(chunk);
    if (this.done && !this.responseDone) {
      sink.abort('upstream failed mid-body');
      return;
    }
    if (this.responseDone) {
      sink.end();
      return;
    }
    this.sink = sink;
    if (room) this.conn.resume();
    else this.conn.pause();
  }

  /** ResponseBody: the body as a web stream, whole already (one read brought it with the head) or streaming from the socket. */
  stream(): ReadableStream<Uint8Array> {
    if (this.taken) throw new Error('response body already taken');
    this.taken = true;
    return new ReadableStream<Uint8Array>(this, BODY_STRATEGY);
  }

  /** ReadableStream source: takes the controller and what was read with the head. */
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    const first = this.earlyFirst;
    const early = this.early;
    if (first !== undefined) {
      this.earlyFirst = this.early = undefined;
      controller.enqueue(first);
      if (early !== undefined) for (const chunk of early) controller.enqueue(chunk);
    }
    if (this.responseDone) {
      // Read whole with the head: nothing more will come.
      controller.close();
      this.controller = undefined;
    } else if (this.done) {
      // The exchange failed before the body was taken.
      controller.error(new Error('upstream failed mid-body'));
      this.controller = undefined;
    } else if ((controller.desiredSize ?? 1) <= 0) this.conn.pause();
  }

  /** ReadableStream source: the client wants more. */
  pull(): void {
    if (!this.done) this.conn.resume();
  }

  /** ResponseBody: the sink has room again. */
  resume(): void {
    if (!this.done) this.conn.resume();
  }

  /** ReadableStream source and ResponseBody: the client stopped reading. */
  cancel(): void {
    this.keepAlive = false;
    this.fail('aborted', 'client stopped reading');
  }

  end(extra: boolean): void {
    if (extra) this.keepAlive = false;
    this.responseDone = true;
    if (this.controller !== undefined) {
      this.controller.close();
      this.controller = undefined;
    } else if (this.sink !== undefined) {
      const sink = this.sink;
      this.sink = undefined;
      sink.end();
    }
  }

  error(reason: string): void {
    this.fail('protocol', reason);
  }

  /** Ends the exchange: reports the failure (no response yet) or errors its body, and drops the socket. */
  fail(failure: UpstreamFailure, message: string): void {
    if (this.done) return;
    if (this.responseDone && this.controller === undefined && this.sink === undefined && failure !== 'protocol') {
      // The response is complete; only the connection's future is affected.
      this.keepAlive = false;
      this.maybeRelease();
      return;
    }
    this.finish();
    this.conn.destroy();
    if (this.to !== undefined) {
      const to = this.to;
      this.parsed = this.to = undefined;
      // A reused connection that died before any response byte, with nothing
      // of a body to send: most likely a stale socket the upstream closed while
      // idle, but possibly an upstream that crashed while handling the request.
      // Only an idempotent request is sent once more, on a fresh connection.
      if (this.reused && failure === 'reset' && !this.responseStarted && this.req.body === null && isIdempotent(this.req.method)) {
        new Exchange(this.conn.client.open(this.req), this.req, to, false);
        return;
      }
      to.failure(new UpstreamError(failure, message, this.bodySent, this.responseStarted));
    } else if (this.controller !== undefined) {
      this.controller.error(new Error(message));
      this.controller = undefined;
    } else if (this.sink !== undefined) {
      const sink = this.sink;
      this.sink = undefined;
      sink.abort(message);
    }
  }

  private maybeRelease(): void {
    if (this.done || !this.responseDone) return;
    if (!this.requestDone) {
      // The upstream answered before taking the whole body (an early 413 or 401):
      // the rest is never sent, so the connection cannot be reused; drop it now
      // rather than wait on a peer that may have stopped reading for good.
      this.finish();
      this.conn.destroy();
      return;
    }
    const reusable = this.keepAlive && this.parser.clean;
    this.finish();
    if (reusable) this.conn.client.release(this.conn);
    else this.conn.destroy();
  }

  private finish(): void {
    this.done = true;
    this.onDrain(); // a pump waiting for the socket stops now
    if (this.conn.exchange === this) this.conn.exchange = undefined;
    this.req.signal?.removeEventListener('abort', this);
  }
}
