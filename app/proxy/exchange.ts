/**
 * One request and its response on an upstream connection: writes the head,
 * pumps the request body with backpressure, parses the response
 * (response-parser.ts) and hands its body over, then gives the connection
 * back to the pool or drops it.
 *
 * The response is handed over once the read that completed its head is
 * parsed to its end; the exchange itself is its body (`response-body.ts`:
 * taken as a web stream or piped into a sink, the socket paused while the
 * taker is full).
 * @module
 */
import type { ResponseParser, ResponseSink } from './response-parser.ts';
import type { ResponseHead } from './response-head.ts';
import { UpstreamError, isIdempotent, type ExchangeReply, type UpstreamFailure, type UpstreamRequest, type UpstreamResponse } from './engine.ts';
import { ResponseBodyHandoff } from './response-body.ts';
import type { Connection } from './http1-client.ts';
import { discard, renderRequestHead, requestHeadSize } from './request-head.ts';

const CRLF = '\r\n';
/** Where request heads are rendered; a larger head gets its own buffer. */
const HEAD_SCRATCH = Buffer.allocUnsafe(16 * 1024);

/** One request/response on a connection; also the response's body (`response-body.ts`). */
export class Exchange extends ResponseBodyHandoff implements ResponseSink {
  private readonly conn: Connection;
  private readonly req: UpstreamRequest;
  private readonly parser: ResponseParser;
  /** Hears the response or the failure; cleared once told. */
  private to: ExchangeReply | undefined;
  /** The parsed response, held until the read that completed its head is parsed to its end. */
  private parsed: UpstreamResponse | undefined = undefined;
  private keepAlive = false;
  private requestDone = false;
  private bodySent = false;
  private responseStarted = false;
  /** The connection came from the pool: a reset before any response byte may be a stale socket. */
  private readonly reused: boolean;
  /** The response has a body (its framing is not `none`). */
  private hasBody = false;
  /** Wakes the request body pump waiting for the socket to drain. */
  private drained: (() => void) | undefined = undefined;

  constructor(conn: Connection, req: UpstreamRequest, to: ExchangeReply, reused: boolean) {
    super(conn);
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

  /** The connection opened for this exchange is connected: its requester hears it (a trace times the connect). */
  upstreamConnected(): void {
    this.to?.connected?.();
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
    this.deliver(chunk);
  }

  /** ReadableStream source and ResponseBody: the client stopped reading. */
  override cancel(): void {
    this.keepAlive = false;
    this.fail('aborted', 'client stopped reading');
  }

  end(extra: boolean): void {
    if (extra) this.keepAlive = false;
    this.responseDone = true;
    this.closeBody();
  }

  error(reason: string): void {
    this.fail('protocol', reason);
  }

  /** Ends the exchange: reports the failure (no response yet) or errors its body, and drops the socket. */
  override fail(failure: UpstreamFailure, message: string): void {
    if (this.done) return;
    if (this.responseDone && !this.bodyTaker && failure !== 'protocol') {
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
    } else this.abortBody(message);
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
