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
 * - The request body is read whole or streamed (`request-body.ts`).
 * - A body that makes no progress for the server's `bodyTimeoutMs` (while golb
 *   is reading it), and a head that is not complete within the idle timeout,
 *   are answered 408 and the connection closed.
 * - Answers are written by `response-writer.ts`, framed by `response-framing.ts`.
 * - A response that goes out before the request body was read whole (an
 *   early 413 or 403) is followed by reading and dropping the rest, up to
 *   `DISCARD_LIMIT`, so the client sees the answer and can go on.
 * - The connection is its request's `signal` ({@link AbortLike}): a client
 *   that closes abandons the upstream exchange, with no AbortSignal made.
 * @module
 */
import type { ProxyReply } from '../client-request.ts';
import type { TransportEvents, TransportSocket } from '../net/transport.ts';
import { RequestParser, type RequestHead, type RequestSink } from './request-parser.ts';
import { CONTINUE, PAUSED_BODY, PAUSED_HOLD, Phase, RequestBodyReader, ServerRequest } from './request-body.ts';
import type { Http1Server } from './http1-server.ts';
import { webRoute } from './web-bridge.ts';
import { HeldBytes } from './byte-buffer.ts';

/** Bytes of pipelined requests held while one is served before the socket is paused. */
const PIPELINE_LIMIT = 64 * 1024;

/** A client connection. */
export class ClientConnection extends RequestBodyReader implements TransportEvents, RequestSink {
  private readonly parser: RequestParser;
  /** It went to a route. */
  private dispatched = false;
  /** Bytes after the current request (pipelined), kept unparsed until its response is out and the client reads. */
  private readonly pending = new HeldBytes();
  /** {@link advance} is running: a response finished inside it lets the loop go on rather than recurse. */
  private advancing = false;

  constructor(server: Http1Server, socket: TransportSocket, remoteAddress: string) {
    super(server, socket, remoteAddress);
    this.parser = new RequestParser(this);
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
    if (!this.pending.empty || (this.current === undefined ? this.blocked : this.requestDone)) {
      // Pipelined, or the client reads nothing of what it was sent: the next
      // request waits, unparsed, for this response to go out (advance).
      this.pending.add(data);
      if (this.pending.length >= PIPELINE_LIMIT) this.pauseRead(PAUSED_HOLD);
      return;
    }
    const idle = this.phase === Phase.Idle && this.parser.idle;
    this.parse(data);
    // A head started in this read: its deadline runs from now. (Empty lines before a request line start none.)
    if (idle && !this.parser.idle && this.phase === Phase.Idle) this.lastTick = this.server.tick;
  }

  /** Feeds `data` to the parser; the bytes after a complete request are held; a request ready for its route goes there. */
  private parse(data: Buffer): void {
    const used = this.parser.feed(data);
    if (this.closed) return;
    if (used < data.length) this.pending.add(data.subarray(used));
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
      while (!this.closed && this.current === undefined && !this.pending.empty && !this.blocked) {
        const data = this.pending.take()!;
        this.lastTick = this.server.tick;
        this.parse(data);
      }
    } finally {
      this.advancing = false;
    }
    if (this.closed) return;
    if (this.pending.length >= PIPELINE_LIMIT) this.pauses |= PAUSED_HOLD;
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
    this.status = 0;
    this.bodyBytes = 0;
    this.requestDone = false;
    this.continueSent = false;
    this.dispatched = false;
    this.earlyBytes = 0;
    this.bodyBuffer = undefined;
    this.bodyTick = this.server.tick;
    this.keepAlive = head.keepAlive && !this.closing && !this.server.closesEach;
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
    const routed = webRoute(req, this.server.options.direct);
    if (typeof routed === 'string') {
      this.writeRefusal(400, routed);
      return;
    }
    if (!(routed instanceof Request)) {
      this.writeJson(routed);
      return;
    }
    let answer: Response | Promise<Response>;
    try {
      answer = fetch(routed, this);
    } catch (err) {
      this.onFailure(err);
      return;
    }
    if (answer instanceof Response) this.onReply(answer);
    else answer.then(this.onReply, this.onFailure);
  }

  private readonly onReply = (reply: ProxyReply): void => this.reply(reply);

  /** The response is out: next request, the rest of this body to drop, or close. */
  protected override afterResponse(): void {
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
      this.bodyBuffer = undefined;
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
    this.bodyBuffer = undefined;
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

  /**
   * Closes the connection now if it has no complete request (between
   * requests, or with a head only partly sent: at shutdown that is idle, and
   * must not hold the drain), else after the current response.
   */
  closeWhenIdle(): void {
    this.closing = true;
    if (this.current === undefined) this.closeAfterWrite();
  }

  /** Closes at once, the request in flight cut by golb's shutdown (the drain timeout), not by its client. */
  cutByShutdown(): void {
    this.shutdownCut = true;
    this.destroy();
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
    if (this.phase === Phase.Idle && this.current === undefined && this.pending.empty && !this.parser.idle) this.timedOut('request head timed out');
    else this.destroy();
  }

  /** 408 and close, or just close when a response has started. */
  private timedOut(reason: string): void {
    if (this.responding) this.destroy();
    else this.writeRefusal(408, reason);
  }

  protected override closeAfterWrite(): void {
    if (this.closed) return;
    this.markClosed();
    this.socket.end();
    // A client reading nothing would keep an ended socket (and its slot) until its bytes went out.
    if (this.blocked) this.server.endsWhenSent(this.socket);
  }

  /** Closes at once. */
  override destroy(): void {
    if (this.closed) return;
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.closed = true;
    this.server.forget(this);
    // A response still going out is cut: its listener hears it incomplete (after a complete one it has none).
    this.responseOver(false);
    this.bodySource?.fail('client went away');
    const body = this.replyBody;
    this.replyBody = undefined;
    body?.cancel();
    this.abortRequest();
    const waiter = this.drainWaiter;
    this.drainWaiter = undefined;
    waiter?.();
  }
}
