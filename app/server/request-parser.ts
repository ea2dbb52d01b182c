/**
 * An incremental, strict HTTP/1.1 request parser (RFC 9112) for golb's own
 * server on raw sockets. It is fed the connection's bytes and reports the head,
 * the (de-chunked) body and the end through a sink; it never buffers a body,
 * only a head that arrived in pieces.
 *
 * The body of one `feed` goes out as one piece, however many chunks it was
 * sent in: the data of each chunk is moved down over the chunk lines before it,
 * inside the fed buffer, next to the data before it. The proxy sends each
 * piece upstream as one chunk, so a client that sends a body in 1-byte chunks
 * costs golb one upstream chunk per socket read, not one per byte.
 *
 * Strictness is deliberate: a gateway that frames a request differently from
 * the server behind it is open to request smuggling, so whatever cannot be
 * framed with certainty (a repeated Content-Length, even an identical one,
 * Content-Length with Transfer-Encoding, a bare LF, obs-fold, a bad chunk size)
 * is refused with a status and the connection is closed, never guessed at.
 *
 * One request at a time: parsing stops right after end(), and `feed` says how
 * many bytes it consumed, so a pipelined next request stays with the server,
 * which feeds it again after `reset()`.
 * @module
 */
import { hasHtab, headEnd } from '../http/syntax.ts';
import { RequestLine, bareLineEnd, fieldAt, lineEnd } from './request-line.ts';
import { ChunkedLines, LINE_FAILED, LINE_PENDING, TRAILERS_END, chunkDataEndOk } from '../http/chunked.ts';
import { REQUEST_FIELD_INTS, RequestHeaders, RequestKind } from '../http/request-headers.ts';
import { authorityOk } from './authority.ts';
import { RequestFacts } from './request-facts.ts';
import { ByteBuffer } from './byte-buffer.ts';
import type { RequestHead, RequestSink } from './request-report.ts';

export { RequestHeaders } from '../http/request-headers.ts';
export type { RequestHead, RequestSink } from './request-report.ts';

/** Largest request head accepted (request line + headers, up to and including the blank line): larger -> 431. */
export const MAX_REQUEST_HEAD = 64 * 1024;
/** Most header fields in one request: more -> 431. */
const MAX_HEADER_FIELDS = 100;
/** Empty lines tolerated before a request line (RFC 9112 §2.2). */
const MAX_EMPTY_LINES = 4;
const EMPTY = Buffer.alloc(0);

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Done,
  Failed,
}

/** How the current `feed` call stopped early. */
const enum Stop {
  None,
  Ended,
  Failed,
}

/** Parses the requests of one connection, one at a time. */
export class RequestParser {
  private readonly sink: RequestSink;
  private state = State.Head;
  private stop = Stop.None;
  /** The head so far, when it arrived in pieces (a copy). */
  /** A head that arrived in pieces, held in one growing buffer (a copy of all per read would be quadratic). */
  private partial: ByteBuffer | undefined = undefined;
  /** CR and LF bytes of empty lines skipped before the request line. */
  private blank = 0;
  /** Body bytes left (length framing), chunk bytes left, or CRLF bytes left after chunk data. */
  private remaining = 0;
  /** The chunk-size and trailer lines of a chunked body. */
  private readonly chunkLines = new ChunkedLines();
  /** The buffer the current `feed` call was given (EMPTY between calls). */
  private fed: Buffer = EMPTY;
  /** The body bytes the current call has read so far: `fed[bodyFrom, bodyTo)`, moved together there. */
  private bodyFrom = 0;
  private bodyTo = 0;
  /** The current head's request line (the next head reuses it). */
  private readonly line = new RequestLine();
  /** What the framing and connection fields said (`request-facts.ts`). */
  private readonly facts = new RequestFacts();
  /** The offsets of the current head's fields (the next head reuses it). */
  private readonly fields = new Int32Array(MAX_HEADER_FIELDS * REQUEST_FIELD_INTS);

  /** @param sink where the head, body, end and errors go */
  constructor(sink: RequestSink) {
    this.sink = sink;
  }

  /** True between requests: no byte of a next request has been fed since reset() / construction (empty lines before a request line do not count). Also true after end(). */
  get idle(): boolean {
    return (this.state === State.Head && this.partial === undefined) || this.state === State.Done;
  }

  /** True once a head has been reported and the body is not finished (for a server deciding if a close mid-body matters). */
  get inBody(): boolean {
    return this.state >= State.Length && this.state <= State.Trailers;
  }

  /**
   * Feeds bytes; returns how many of them were consumed. Parsing stops right after a request's end()
   * (the rest, a pipelined next request, is NOT consumed: the server keeps it and feeds it again after reset()).
   * After error() it consumes everything and reports nothing more.
   * The bytes it consumes may be rewritten (a chunked body's data is moved together over its chunk
   * lines); those of a head, and those it does not consume, are left as they are.
   */
  feed(data: Buffer): number {
    if (this.state === State.Failed) return data.length;
    if (this.state === State.Done) return 0;
    // The sink may call reset() from end(); `stop` (not the state) says this call is over.
    this.stop = Stop.None;
    this.fed = data;
    let buf = data;
    while (buf.length > 0 && this.stop === Stop.None) buf = this.step(buf);
    this.flushBody();
    this.fed = EMPTY;
    // (A cast: TypeScript does not see the steps change `stop`.)
    return (this.stop as Stop) === Stop.Failed ? data.length : data.length - buf.length;
  }

  /** Ready for the next request on the connection (after end()). */
  reset(): void {
    this.state = State.Head;
    this.partial = undefined;
    this.blank = 0;
    this.remaining = 0;
    this.chunkLines.reset();
  }

  /** Parses from `buf` in the current state; returns the bytes not consumed yet. */
  private step(buf: Buffer): Buffer {
    switch (this.state) {
      case State.Head:
        return this.readHead(buf);
      case State.Length:
      case State.ChunkData:
        return this.readBody(buf);
      case State.ChunkSize:
      case State.Trailers:
        return this.readLine(buf);
      case State.ChunkDataEnd: {
        // Exactly CRLF after the data, possibly split across reads.
        if (!chunkDataEndOk(buf[0], this.remaining)) return this.fail(400, 'missing CRLF after chunk data');
        if (--this.remaining === 0) this.state = State.ChunkSize;
        return buf.subarray(1);
      }
      default:
        return EMPTY; // Done or Failed: feed() has stopped already
    }
  }

  private readHead(data: Buffer): Buffer {
    const buf = this.partial === undefined ? this.skipEmptyLines(data) : data;
    if (buf.length === 0) return EMPTY;
    const old = this.partial;
    const oldLength = old === undefined ? 0 : old.length;
    old?.append(buf);
    const joined = old === undefined ? buf : old.view();
    // Search from just before the old end so a CRLFCRLF split across reads is found.
    const end = headEnd(joined, Math.max(0, oldLength - 3));
    if (end < 0) {
      if (joined.length >= MAX_REQUEST_HEAD) return this.fail(431, 'request head too large');
      if (bareLineEnd(joined, Math.max(0, oldLength - 1))) return this.fail(400, 'bare CR or LF in the request head');
      if (old === undefined) {
        // The caller may reuse its buffer: the piece is copied.
        this.partial = new ByteBuffer(2 * buf.length);
        this.partial.append(buf);
      }
      return EMPTY;
    }
    this.partial = undefined;
    if (end + 4 > MAX_REQUEST_HEAD) return this.fail(431, 'request head too large');
    const used = end + 4 - oldLength;
    // What follows the head: a view into the fed buffer, not the joined copy (none made when nothing follows).
    const rest = used === buf.length ? EMPTY : buf.subarray(used);
    this.parseHead(joined, end);
    return rest;
  }

  /** Skips the CRLFs a client may send before a request line (RFC 9112 §2.2), a few at most. */
  private skipEmptyLines(buf: Buffer): Buffer {
    let i = 0;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if ((this.blank & 1) === 1) {
        if (c !== 10) return this.fail(400, 'bare CR before the request line');
      } else if (c !== 13) break;
      if (++this.blank > 2 * MAX_EMPTY_LINES) return this.fail(400, 'too many empty lines before the request line');
    }
    return i === 0 ? buf : buf.subarray(i);
  }

  /** Parses the head in `buf[0, end)` (`end` is where its CRLFCRLF starts), reports it and sets up the body. No string is made per header. */
  private parseHead(buf: Buffer, end: number): void {
    let eol = lineEnd(buf, 0, end);
    const line = this.line;
    if (!line.parse(buf, eol)) return void this.fail(line.status, line.reason);
    const http10 = line.http10;
    const facts = this.facts;
    facts.clear();
    const fields = this.fields;
    let at = 0;
    for (let pos = eol + 2; pos < end; pos = eol + 2) {
      eol = lineEnd(buf, pos, end);
      if (at === MAX_HEADER_FIELDS * REQUEST_FIELD_INTS) return void this.fail(431, 'too many header fields');
      if (!fieldAt(buf, pos, eol, fields, at)) return void this.fail(400, 'malformed header field');
      const kind = fields[at + 5]!;
      if (kind === RequestKind.Host) {
        // Host is the web app's URL authority: only host[:port], nothing that could move its path.
        if (!authorityOk(buf, fields[at + 2]!, fields[at + 3]!)) return void this.fail(400, 'malformed Host (expected host[:port])');
        facts.hosts++;
      }
      // An HTAB after the value's start: llhttp refuses `chunked<HTAB>` and `5<HTAB>` (where OWS allows it), so golb does too.
      else if ((kind === RequestKind.ContentLength || kind === RequestKind.TransferEncoding) && hasHtab(buf, fields[at + 2]!, fields[at + 4]!)) return void this.fail(400, 'HTAB in Content-Length or Transfer-Encoding');
      // (Connection with its trailing OWS: an HTAB there matters, `request-facts.ts`.)
      else if (kind >= RequestKind.ContentLength && kind <= RequestKind.Expect && !facts.note(kind, buf.toString('latin1', fields[at + 2]!, fields[at + (kind === RequestKind.Connection ? 4 : 3)]!), http10)) return void this.fail(facts.status, facts.reason);
      at += REQUEST_FIELD_INTS;
    }
    if (!facts.check(http10)) return void this.fail(facts.status, facts.reason);
    const chunked = facts.teSeen;
    const head: RequestHead = {
      method: line.method,
      target: line.target,
      authority: line.authority,
      http10,
      headers: new RequestHeaders(buf, fields, at / REQUEST_FIELD_INTS),
      contentLength: facts.contentLength,
      chunked,
      keepAlive: !facts.close && (!http10 || facts.keepAliveToken),
      expectContinue: facts.expectContinue,
    };
    this.remaining = facts.contentLength;
    this.state = chunked ? State.ChunkSize : facts.contentLength > 0 ? State.Length : State.Done;
    this.sink.head(head);
    if (this.state === State.Done) this.finish();
  }

  /** Body bytes, length-framed or inside a chunk: gathered for this feed's one body report ({@link gather}), never buffered. */
  private readBody(buf: Buffer): Buffer {
    const n = Math.min(this.remaining, buf.length);
    this.gather(buf, n);
    this.remaining -= n;
    if (this.remaining === 0) {
      if (this.state === State.Length) this.finish();
      else {
        this.state = State.ChunkDataEnd;
        this.remaining = 2;
      }
    }
    return buf.subarray(n);
  }

  /** A chunk-size line or a trailer line, possibly split across reads (`http/chunked.ts`). */
  private readLine(buf: Buffer): Buffer {
    const trailers = this.state === State.Trailers;
    const r = this.chunkLines.read(buf, trailers);
    if (r === LINE_FAILED) return this.fail(400, this.chunkLines.failure);
    if (r === LINE_PENDING) return EMPTY;
    if (trailers) {
      // A trailer field is checked and dropped (one that frames or governs the connection is refused, `http/chunked.ts`); the empty line ends the request.
      if (r === TRAILERS_END) this.finish();
    } else if (r === 0) this.state = State.Trailers;
    else {
      this.remaining = r;
      this.state = State.ChunkData;
    }
    return buf.subarray(this.chunkLines.taken);
  }

  /**
   * Adds the body bytes `part[0, n)` (`part` is a view into {@link fed}) to
   * this feed's: moved down to follow those read before, over the chunk lines
   * between them. They only ever move towards the start of the buffer, over
   * bytes already parsed, and after the head's: nothing unread, and nothing
   * the head's fields point into, is overwritten.
   */
  private gather(part: Buffer, n: number): void {
    const fed = this.fed;
    const at = part.byteOffset - fed.byteOffset;
    const to = this.bodyTo;
    if (to === this.bodyFrom) {
      this.bodyFrom = at;
      this.bodyTo = at + n;
      return;
    }
    if (at !== to) {
      // The usual case is a few bytes (a small chunk): a loop costs less than a call into native code.
      if (n > 64) fed.copyWithin(to, at, at + n);
      else for (let i = 0; i < n; i++) fed[to + i] = fed[at + i]!;
    }
    this.bodyTo = to + n;
  }

  /** Reports the body bytes this feed has gathered, if any. */
  private flushBody(): void {
    const from = this.bodyFrom;
    const to = this.bodyTo;
    if (to === from) return;
    this.bodyFrom = this.bodyTo = 0;
    this.sink.body(this.fed.subarray(from, to));
  }

  private finish(): void {
    this.flushBody();
    this.state = State.Done;
    this.stop = Stop.Ended;
    this.sink.end();
  }

  /** Reports the error once and stops; returns EMPTY so steps can `return this.fail(...)`. */
  private fail(status: number, reason: string): Buffer {
    this.flushBody(); // the bytes before the fault first, as if they had come in an earlier read
    this.state = State.Failed;
    this.stop = Stop.Failed;
    this.sink.error(status, reason);
    return EMPTY;
  }
}
