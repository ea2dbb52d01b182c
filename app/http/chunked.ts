/**
 * The chunked transfer coding (RFC 9112 §7.1), one decoder of its lines for
 * both sides of the proxy: the request parser (`server/request-parser.ts`)
 * and the response parser (`proxy/response-parser.ts`) move chunk data
 * themselves (each its own way) and hand every chunk-size and trailer line
 * here, so requests and responses are held to one strictness policy:
 *
 * - a chunk-size line, extensions and CRLF included, is at most
 *   {@link MAX_CHUNK_LINE} bytes, has hex digits (at most 13), and extensions
 *   as llhttp takes them: `;name[=value]`, no whitespace, no control
 *   character (a bare CR hidden in one is how parsers are made to disagree;
 *   `parseChunkSize` in `syntax.ts`);
 * - every line ends in CRLF: a bare LF is refused;
 * - trailer fields are checked as field lines and dropped, and one that frames
 *   a message or governs the connection (Content-Length, Transfer-Encoding,
 *   Connection) is refused (`trailerFieldOk` in `syntax.ts`): llhttp acts on
 *   those where golb would drop them; all of them and the final CRLF are at
 *   most {@link MAX_TRAILER_BYTES};
 * - exactly CRLF follows each chunk's data ({@link chunkDataEndOk}).
 * @module
 */
import { fieldContentOk, parseChunkSize, trailerFieldOk } from './syntax.ts';

/** Longest chunk-size line, extensions and CRLF included. */
export const MAX_CHUNK_LINE = 4096;
/** Most trailer bytes (all lines and the final CRLF). */
export const MAX_TRAILER_BYTES = 64 * 1024;

/** {@link ChunkedLines.read}: the line is not complete yet; all of the buffer was taken. */
export const LINE_PENDING = -1;
/** {@link ChunkedLines.read}: the line is refused; `failure` says why. */
export const LINE_FAILED = -2;
/** {@link ChunkedLines.read} of a trailer line: the empty line that ends the body. */
export const TRAILERS_END = 0;
/** {@link ChunkedLines.read} of a trailer line: a well-formed field, dropped. */
export const TRAILER_FIELD = 1;

/** The lines of one chunked body, possibly split across reads; one per connection, {@link reset} between bodies. */
export class ChunkedLines {
  private line = '';
  private trailerBytes = 0;
  /** The bytes of the buffer the last {@link read} took. */
  taken = 0;
  /** Why the last {@link read} refused its line. */
  failure = '';

  /** Ready for the next body. */
  reset(): void {
    this.line = '';
    this.trailerBytes = 0;
  }

  /**
   * Reads a chunk-size line (`trailers` false) or a trailer line from the
   * start of `buf`, taking {@link taken} bytes of it. Returns
   * {@link LINE_PENDING} or {@link LINE_FAILED}, else the chunk size (0:
   * the trailers follow) or, for a trailer line, {@link TRAILERS_END} or
   * {@link TRAILER_FIELD}.
   */
  read(buf: Buffer, trailers: boolean): number {
    const nl = buf.indexOf(10);
    const take = nl < 0 ? buf.length : nl + 1;
    const limit = trailers ? MAX_TRAILER_BYTES - this.trailerBytes : MAX_CHUNK_LINE;
    if (this.line.length + take > limit) return this.refuse(trailers ? 'trailers too large' : 'chunk line too long');
    this.line += buf.toString('latin1', 0, take);
    this.taken = take;
    if (nl < 0) return LINE_PENDING;
    const line = this.line;
    this.line = '';
    if (line.length < 2 || line.charCodeAt(line.length - 2) !== 13) return this.refuse('bare LF in chunked body');
    if (trailers) {
      this.trailerBytes += line.length;
      if (line.length === 2) return TRAILERS_END;
      // Dropped, but checked as llhttp checks them: a client behind golb never parses them, a proxy beside it may.
      return trailerFieldOk(line, line.length - 2) ? TRAILER_FIELD : this.refuse('malformed or framing trailer field');
    }
    // Extensions are ignored, but must be well-formed: a control character in them (a bare CR) or whitespace is refused.
    const size = fieldContentOk(line, 0, line.length - 2) ? parseChunkSize(line) : -1;
    return size < 0 ? this.refuse('bad chunk size') : size;
  }

  private refuse(reason: string): number {
    this.line = '';
    this.failure = reason;
    return LINE_FAILED;
  }
}

/** True when `byte` is the one expected after a chunk's data, with `left` (2, then 1) bytes of its CRLF still to come. */
export function chunkDataEndOk(byte: number | undefined, left: number): boolean {
  return byte === (left === 2 ? 13 : 10);
}
