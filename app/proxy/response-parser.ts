/**
 * An incremental, strict HTTP/1.1 response parser (RFC 9112) for the upstream
 * side of the proxy. It is fed the socket's bytes and reports the head, body
 * chunks and the end through callbacks; it never buffers a body.
 *
 * Strictness is deliberate: whatever it cannot frame with certainty (a
 * repeated Content-Length, even an identical one, Content-Length with
 * Transfer-Encoding, a bad chunk size, obs-fold, a head over the limit)
 * is a protocol error, which the proxy turns into a 502 or a cut response,
 * never into bytes leaking into the next response of a reused connection. So
 * is a control character in the head other than HTAB (RFC 9110 §5.5): golb
 * relays header bytes as they came, and a client must never get a NUL, DEL or
 * stray CR that a server behind it was allowed to send.
 * @module
 */
import { ChunkedLines, LINE_FAILED, LINE_PENDING, TRAILERS_END, chunkDataEndOk } from '../http/chunked.ts';
import { dropOws, hasHtab, headEnd, isTchar, parseChunkSize, skipOws } from '../http/syntax.ts';
import { CHUNKED, ConnectionTokens, FIELD_INTS, Kind, ResponseHead, digitsAt, emptyElement, framingOf, kindOf, lastTokenIs, lineEnd, statusOf } from './response-head.ts';

export { parseChunkSize };

/** Largest response head accepted. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** Where the parser reports. */
export interface ResponseSink {
  head(head: ResponseHead): void;
  body(chunk: Uint8Array): void;
  /** The response is complete. `extra` is true when bytes followed it. */
  end(extra: boolean): void;
  error(reason: string): void;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Close,
  Done,
  Failed,
}

/** Parses one response at a time from a connection. */
export class ResponseParser {
  private state = State.Head;
  private head: Buffer | undefined = undefined;
  private remaining = 0;
  /** The chunk-size and trailer lines of a chunked body. */
  private readonly chunkLines = new ChunkedLines();
  private sink: ResponseSink;
  private noBody: boolean;
  /**
   * Where heads keep their header offsets, reused from one response to the
   * next (no array per response): a head's offsets stay valid until the next
   * head is parsed, which is after that response was read to its end and
   * handed on. Grown when a head has more headers.
   */
  private fields = new Int32Array(FIELD_INTS * 32);
  /** What the current head's Connection fields say. */
  private readonly connection = new ConnectionTokens();

  /** @param isHead the request was HEAD: the response has no body whatever it says */
  constructor(sink: ResponseSink, isHead: boolean) {
    this.sink = sink;
    this.noBody = isHead;
  }

  /** Ready for the next response on the connection, to `sink` (after the last one was read whole). */
  reset(sink: ResponseSink, isHead: boolean): void {
    this.sink = sink;
    this.noBody = isHead;
    this.state = State.Head;
    this.head = undefined;
    this.remaining = 0;
    this.chunkLines.reset();
  }

  /** True when a whole response was read and nothing followed it. */
  get clean(): boolean {
    return this.state === State.Done;
  }

  /** Feeds bytes from the socket. */
  feed(data: Buffer): void {
    let buf = data;
    while (buf.length > 0) {
      switch (this.state) {
        case State.Head: {
          const joined = this.head === undefined ? buf : Buffer.concat([this.head, buf]);
          // Search from just before the old end so a CRLFCRLF split across reads is found.
          const from = this.head === undefined ? 0 : Math.max(0, this.head.length - 3);
          const end = headEnd(joined, from);
          if (end < 0) {
            if (joined.length > MAX_HEAD_BYTES) return this.fail('response head too large');
            this.head = joined;
            return;
          }
          this.head = undefined;
          if (end > MAX_HEAD_BYTES) return this.fail('response head too large');
          if (!this.parseHead(joined, end)) return;
          // The body bytes that came with the head, if any (no view made for none).
          if (end + 4 >= joined.length) return;
          buf = joined.subarray(end + 4);
          continue;
        }
        case State.Length: {
          const n = buf.length;
          const remaining = this.remaining;
          if (n <= remaining) {
            // The usual case: the whole read is body.
            this.sink.body(buf);
            this.remaining = remaining - n;
            if (remaining === n) this.finish(false);
            return;
          }
          this.sink.body(buf.subarray(0, remaining));
          this.remaining = 0;
          return this.finish(true);
        }
        case State.ChunkSize:
        case State.Trailers: {
          // One policy for requests and responses (`http/chunked.ts`).
          const trailers = this.state === State.Trailers;
          const r = this.chunkLines.read(buf, trailers);
          if (r === LINE_FAILED) return this.fail(this.chunkLines.failure);
          if (r === LINE_PENDING) return;
          buf = buf.subarray(this.chunkLines.taken);
          if (trailers) {
            // Dropped, but checked as fields (`http/chunked.ts`): a framing or connection one is refused.
            if (r === TRAILERS_END) return this.finish(buf.length > 0);
            continue;
          }
          if (r === 0) this.state = State.Trailers;
          else {
            this.remaining = r;
            this.state = State.ChunkData;
          }
          continue;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, buf.length);
          this.sink.body(buf.subarray(0, n));
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.remaining = 2;
          }
          continue;
        }
        case State.ChunkDataEnd: {
          // Exactly CRLF after the data, possibly split across reads.
          if (!chunkDataEndOk(buf[0], this.remaining)) return this.fail('missing CRLF after chunk data');
          buf = buf.subarray(1);
          if (--this.remaining === 0) this.state = State.ChunkSize;
          continue;
        }
        case State.Close:
          this.sink.body(buf);
          return;
        case State.Done:
          // Bytes after a complete response: the connection must not be reused.
          this.state = State.Failed;
          return;
        case State.Failed:
          return;
      }
    }
  }

  /** The upstream closed the connection (FIN). */
  eof(): void {
    if (this.state === State.Close) return this.finish(false);
    if (this.state === State.Done || this.state === State.Failed) return;
    this.fail(this.state === State.Head ? 'upstream closed before the response' : 'upstream closed mid-body');
  }

  /**
   * Parses the head in `buf[0, end)` (`end` is where its closing CRLFCRLF
   * starts), byte by byte: no string is made per header, only offsets
   * ({@link ResponseHead}).
   */
  private parseHead(buf: Buffer, end: number): boolean {
    const statusEnd = lineEnd(buf, 0, end);
    let eol = statusEnd;
    const status = statusOf(buf, eol);
    if (status < 0) {
      this.fail('malformed status line');
      return false;
    }
    const http10 = buf[7] === 48;
    let fields = this.fields;
    let at = 0;
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = http10;
    const connection = this.connection;
    connection.names = undefined;
    let pos = eol + 2;
    while (pos < end) {
      // The name: token characters up to the colon (also catches obs-fold's leading whitespace and a space before the colon).
      let colon = pos;
      for (;;) {
        if (colon >= end) {
          this.fail('malformed header line');
          return false;
        }
        const c = buf[colon]!;
        if (c === 58) break;
        if (!isTchar(c)) {
          this.fail(c === 13 || c === 10 ? 'malformed header line' : 'malformed header name');
          return false;
        }
        colon++;
      }
      if (colon === pos) {
        this.fail('malformed header line');
        return false;
      }
      eol = lineEnd(buf, colon + 1, end);
      if (eol < 0) {
        this.fail('malformed header value'); // a control character: never relayed
        return false;
      }
      const vs = skipOws(buf, colon + 1, eol);
      const ve = dropOws(buf, vs, eol);
      const kind = kindOf(buf, pos, colon);
      // llhttp reads `chunked<HTAB>` as another coding and refuses `5<HTAB>` (where OWS allows them): refused, not framed one way or the other.
      if ((kind === Kind.Length || kind === Kind.TransferEncoding) && hasHtab(buf, vs, eol)) {
        this.fail('HTAB in Content-Length or Transfer-Encoding');
        return false;
      }
      if (kind === Kind.Length) {
        const n = digitsAt(buf, vs, ve);
        // One field with one value: llhttp refuses even an identical repeat (which RFC 9112 §6.3 lets a recipient take).
        if (n < 0 || contentLength >= 0) {
          this.fail('bad or repeated Content-Length');
          return false;
        }
        contentLength = n;
      } else if (kind === Kind.TransferEncoding) {
        // An empty field or element: llhttp keeps an earlier `chunked` for it, where the last element would say "read to the close".
        if (emptyElement(buf, vs, ve)) {
          this.fail('bad Transfer-Encoding');
          return false;
        }
        transferEncoding = true;
        chunked = lastTokenIs(buf, vs, ve, CHUNKED);
      } else if (kind === Kind.Connection) {
        close = connection.read(buf, vs, ve, eol, http10, close);
      }
      if (at === fields.length) {
        const grown = new Int32Array(fields.length * 2);
        grown.set(fields);
        this.fields = fields = grown;
      }
      fields[at] = pos;
      fields[at + 1] = colon;
      fields[at + 2] = vs;
      fields[at + 3] = ve;
      fields[at + 4] = eol;
      fields[at + 5] = kind;
      at += FIELD_INTS;
      pos = eol + 2;
    }
    // Both: a smuggling signature (RFC 9112 §6.1), refused as llhttp refuses it.
    if (transferEncoding && contentLength >= 0) {
      this.fail('both Transfer-Encoding and Content-Length');
      return false;
    }
    if (status < 200) {
      if (status === 101) {
        this.fail('upstream switched protocols without an upgrade request');
        return false;
      }
      // An interim response that closes the connection (Connection: close, or HTTP/1.0 without keep-alive): llhttp reads nothing after it.
      if (close) {
        this.fail('interim response that closes the connection');
        return false;
      }
      return true; // 1xx interim response: skip it, keep reading heads.
    }
    // A 204 has no CL (RFC 9110 §8.6); a 304 may have one, but a client that
    // takes it for a body would read the next response as it: neither goes out.
    if (contentLength >= 0 && (status === 204 || status === 304)) {
      for (let i = 5; i < at; i += FIELD_INTS) if (fields[i] === Kind.Length) fields[i] = Kind.Removed;
    }
    let framing = framingOf(status, transferEncoding, chunked, contentLength);
    // An answer to HEAD has no body; but one whose headers say "read to the
    // close" is not reused, as Node's client (llhttp) does not reuse it: a
    // sender that means it may still send a body, late, into the next response.
    const keepAlive = !close && framing !== 'close';
    if (this.noBody) framing = 'none';
    const head = new ResponseHead(buf, status, statusEnd, fields, at / FIELD_INTS, connection.names, framing, contentLength, keepAlive);
    this.state = framing === 'length' ? State.Length : framing === 'chunked' ? State.ChunkSize : framing === 'close' ? State.Close : State.Done;
    this.remaining = contentLength;
    this.sink.head(head);
    if (framing === 'none') this.sink.end(false);
    return true;
  }

  private finish(extra: boolean): void {
    this.state = extra ? State.Failed : State.Done;
    this.sink.end(extra);
  }

  private fail(reason: string): void {
    this.state = State.Failed;
    this.sink.error(reason);
  }
}
