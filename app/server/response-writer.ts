/**
 * The writing half of a client connection (`connection.ts`): the answer to
 * the current request, whichever way it comes.
 *
 * - A proxied answer is written as it comes: the head (in one write with
 *   the first body bytes when the body is length-framed and they are at most
 *   {@link MERGE_LIMIT}), then the upstream's body through the engine's sink,
 *   with backpressure both ways; a body of unknown length goes out chunked
 *   (closing the connection for an HTTP/1.0 client): `response-framing.ts`.
 * - A web `Response` (golb's own answers, the web app's) and a JSON answer
 *   the server made itself go out the same way.
 * - A refused request gets golb's JSON error and the connection closes.
 *
 * The connection's state lives on one object: this class holds what writing
 * needs, `request-body.ts` extends it with the request body, and
 * `connection.ts` with reading, dispatch and closing.
 * @module
 */
import type { ForwardedResponse, ProxyReply, ReplyTarget } from '../client-request.ts';
import type { BodySink, HeaderLines, ResponseBody } from '../proxy/engine.ts';
import { textHeaderLines } from '../proxy/forward-headers.ts';
import type { TransportSocket } from '../net/transport.ts';
import { GatewayError, codeOfStatus, errorBody } from '../errors.ts';
import { putBytes } from '../http/syntax.ts';
import { jsonHeadLines, refusalHead, webHeadLines } from './own-answers.ts';
import { REASONS } from '../http/status-reasons.ts';
import { CHUNKED_FRAMING, CLOSING_FRAMING, HEAD_END_BYTES, noResponseBody, responseFraming } from './response-framing.ts';
import type { ServerRequest } from './request-body.ts';
import type { Http1Server, JsonAnswer } from './http1-server.ts';

/** A body chunk up to this size goes out in one write with the response head. */
const MERGE_LIMIT = 16 * 1024;

/**
 * Where response heads (and a small body after them) are rendered just before
 * they are written: one buffer for all connections, since the write happens at
 * once and the transport copies what it cannot send (`writeCopy`).
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

/** Where the engine pushes a proxied answer's body: the connection's writer (one per connection). */
class ReplySink implements BodySink {
  private readonly conn: ResponseWriter;

  constructor(conn: ResponseWriter) {
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

/** What a client connection needs to write its answers; `ClientConnection` is the one kind. */
export abstract class ResponseWriter implements ReplyTarget {
  readonly remoteAddress: string;
  protected readonly server: Http1Server;
  protected readonly socket: TransportSocket;
  /** The sweep tick of the last activity (idle), or when the head started (reading one). */
  protected lastTick: number;
  /** The request being served. */
  protected current: ServerRequest | undefined = undefined;
  /** The current request's body was read whole. */
  protected requestDone = false;
  protected continueSent = false;
  /** The connection stays open after the current response. */
  protected keepAlive = true;
  /** The response head has been written (or is merged with the first body bytes). */
  protected responding = false;
  /** A refusal of the current request (its body broke) that replaces whatever the route answers. */
  protected refusal: { status: number; reason: string } | undefined = undefined;
  /** An answer's status and header lines waiting to go out with the first body bytes, then {@link pendingEnd}. */
  private pendingHeaders: HeaderLines | undefined = undefined;
  /** The end of that head (one of {@link HEAD_END_BYTES}). */
  private pendingEnd: Buffer = HEAD_END_BYTES[0]!;
  private chunked = false;
  protected replyBody: ResponseBody | undefined = undefined;
  /** Wakes a web response body writer waiting for a drain. */
  protected drainWaiter: (() => void) | undefined = undefined;
  /** A write was queued: the client is slow to read. */
  protected blocked = false;
  protected closed = false;
  /** Close once the current response (if any) is out: the server drains. */
  protected closing = false;
  /** The current response's status, once its head is settled; 0 before. */
  protected status = 0;
  /** The current response's body bytes written (payload, no chunk framing). */
  protected bodyBytes = 0;
  private readonly sink: ReplySink;

  constructor(server: Http1Server, socket: TransportSocket, remoteAddress: string) {
    this.server = server;
    this.socket = socket;
    this.remoteAddress = remoteAddress;
    this.sink = new ReplySink(this);
    this.lastTick = server.tick;
  }

  /** Closes at once. */
  abstract destroy(): void;
  /** The response is out: next request, the rest of this body to drop, or close. */
  protected abstract afterResponse(): void;
  /** Closes once what was written has gone out. */
  protected abstract closeAfterWrite(): void;

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

  protected readonly onFailure = (err: unknown): void => {
    this.server.options.onError(err);
    if (this.closed) return;
    if (this.responding) this.destroy();
    else this.writeRefusal(500, 'internal error');
  };
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
    if (this.server.closesEach || this.closing) this.keepAlive = false;
  }

  /**
   * The end of a response head (one of {@link HEAD_END_BYTES}), chosen by
   * {@link responseFraming}: how its body is framed and whether the
   * connection stays. Sets `chunked`, and clears `keepAlive` when the body
   * is framed by the close.
   */
  private headEnd(status: number, length: number, hasBody: boolean): Buffer {
    const req = this.current!;
    this.status = status;
    const framing = responseFraming(req.method, req.head.http10, this.keepAlive, status, length, hasBody);
    this.chunked = framing >= CHUNKED_FRAMING;
    this.keepAlive = framing % 3 !== CLOSING_FRAMING;
    this.responding = true;
    return HEAD_END_BYTES[framing]!;
  }

  /** True when a response to the current request with `status` carries no body. */
  private noBody(status: number): boolean {
    return noResponseBody(this.current!.method, status);
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
      this.responseOver(true);
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
    this.bodyBytes += chunk.length;
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
    this.responseOver(true);
    this.afterResponse();
  }

  /** Writes a web `Response` (golb's own answers, the web app's). */
  private async writeWeb(res: Response): Promise<void> {
    const status = res.status;
    // The status line first: it settles keepAlive, which the head's end reads.
    const line = this.statusLine(status, res.statusText === '' ? (REASONS[status] ?? 'Unknown') : res.statusText);
    const lines = webHeadLines(res, this.server.date, this.current?.requestId);
    this.pendingEnd = this.headEnd(status, lines.length, res.body !== null);
    this.pendingHeaders = textHeaderLines(line + lines.text);
    const body = this.noBody(status) ? null : res.body;
    if (body === null) {
      void res.body?.cancel().catch(() => undefined);
      this.sendHead(undefined);
      this.responseOver(true);
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

  /**
   * The current response is over (`complete`: its last byte written; else the
   * client went away or the connection was cut first): tells whoever listens
   * for it, once (`ClientRequest.onResponseEnd`, the access log when it is on).
   * Without a listener this is one field read.
   */
  protected responseOver(complete: boolean): void {
    const req = this.current;
    const listener = req?.onResponseEnd;
    if (listener === undefined) return;
    req!.onResponseEnd = undefined;
    listener.responseEnded(this.status, this.bodyBytes, complete);
  }

  /** Writes a JSON answer the server made itself (`Http1ServerOptions.direct`). */
  protected writeJson(answer: JsonAnswer): void {
    const status = answer.status;
    const body = Buffer.from(answer.body);
    const line = this.statusLine(status, REASONS[status] ?? 'Unknown');
    this.pendingEnd = this.headEnd(status, body.length, true);
    this.pendingHeaders = textHeaderLines(line + jsonHeadLines(body.length, this.server.date));
    if (this.noBody(status)) this.sendHead(undefined);
    else this.writeBody(body); // head and body in one write
    this.responseOver(true);
    this.afterResponse();
  }

  /** Answers a refused request with golb's JSON error and closes the connection. */
  protected writeRefusal(status: number, reason: string): void {
    if (this.closed) return;
    if (this.responding) {
      this.destroy();
      return;
    }
    this.keepAlive = false;
    this.server.options.onRefused?.(status, reason, this.remoteAddress);
    const body = errorBody(new GatewayError(codeOfStatus(status), reason), this.server.options.origin);
    const length = Buffer.byteLength(body);
    this.responding = true;
    this.status = status;
    this.bodyBytes = length;
    this.socket.write(refusalHead(status, length, this.server.date) + body);
    this.responseOver(true);
    this.closeAfterWrite();
  }}
