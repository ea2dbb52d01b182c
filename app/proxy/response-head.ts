/**
 * A parsed response head as offsets into its bytes ({@link ResponseHead}),
 * what each header name is to the proxy ({@link Kind}), and the byte-level
 * reading of a head's lines: the status line, the framing fields, the
 * Connection tokens, and how the body is delimited ({@link framingOf}); the
 * state machine that reads responses is `response-parser.ts`.
 * @module
 */
import { bytesAre, dropOws, hasHtab, isTchar, sameBytes, skipOws } from '../http/syntax.ts';

/** How the body of a response is delimited. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

/** What a header's name is, as far as framing and forwarding care; the sixth int of each field in {@link ResponseHead.fields}. */
export const enum Kind {
  Other,
  Length,
  TransferEncoding,
  Connection,
  /** A hop-by-hop header other than the above (RFC 9110 §7.6.1): Keep-Alive, Proxy-*, TE, Trailer, Upgrade. */
  Hop,
  Via,
  /** `X-Final-Host`, which golb sets itself. */
  FinalHost,
  /** A Content-Length the client must not get: on a 204 or 304. */
  Removed,
  /** `X-Forwarded-For`: on a response, the hop list of the seed's trace headers (`response-headers.ts`). */
  ForwardedFor,
}

/** Ints per header in {@link ResponseHead.fields}. */
export const FIELD_INTS = 7;

/** Reason phrases seen per status: the usual phrase costs no string per response. */
const REASONS = new Map<number, string>();

/**
 * The parsed head of a response. The head's bytes are kept and each header is
 * a run of offsets into them, so a proxied response's headers are copied to
 * the client as bytes; strings are made only when asked for (`headers`).
 */
export class ResponseHead {
  /** The bytes the head was read from (the head starts at 0). */
  readonly raw: Buffer;
  readonly status: number;
  /** Where the status line's CRLF starts. */
  readonly statusEnd: number;
  /**
   * Per header, {@link FIELD_INTS} ints: line start, colon, value start, value
   * end (OWS trimmed), line end (its CRLF), {@link Kind}, and a mark the
   * header's user may set (forward-headers.ts: whether the client gets it).
   * The parser's table, reused for the connection's next head ({@link ResponseParser}).
   */
  readonly fields: Int32Array;
  /** How many headers `fields` holds. */
  readonly count: number;
  /** Lower-cased names the `Connection` header lists besides close and keep-alive. */
  readonly connectionNames: readonly string[] | undefined;
  readonly framing: Framing;
  /** Body length when `framing` is `length`. */
  readonly length: number;
  /** Whether the connection may be reused after this response. */
  readonly keepAlive: boolean;
  private pairs: [string, string][] | undefined = undefined;

  constructor(raw: Buffer, status: number, statusEnd: number, fields: Int32Array, count: number, connectionNames: string[] | undefined, framing: Framing, length: number, keepAlive: boolean) {
    this.raw = raw;
    this.status = status;
    this.statusEnd = statusEnd;
    this.fields = fields;
    this.count = count;
    this.connectionNames = connectionNames;
    this.framing = framing;
    this.length = length;
    this.keepAlive = keepAlive;
  }

  /** The reason phrase (possibly empty). */
  get reason(): string {
    const raw = this.raw;
    const end = this.statusEnd;
    if (end <= 13) return '';
    const known = REASONS.get(this.status);
    if (known !== undefined && sameBytes(raw, 13, end, known)) return known;
    const reason = raw.toString('latin1', 13, end);
    if (REASONS.size < 64) REASONS.set(this.status, reason);
    return reason;
  }

  /** Header pairs as received, lower-cased names, duplicates kept, in order (a Content-Length the parser dropped left out: {@link Kind.Removed}). */
  get headers(): [string, string][] {
    if (this.pairs !== undefined) return this.pairs;
    const pairs: [string, string][] = [];
    const fields = this.fields;
    const end = this.count * FIELD_INTS;
    for (let i = 0; i < end; i += FIELD_INTS) if (fields[i + 5] !== Kind.Removed) pairs.push(this.pair(i));
    return (this.pairs = pairs);
  }

  /** The header at `i` (its first int in `fields`) as a pair: lower-cased name, value. */
  pair(i: number): [string, string] {
    const { raw, fields } = this;
    return [raw.toString('latin1', fields[i]!, fields[i + 1]!).toLowerCase(), raw.toString('latin1', fields[i + 2]!, fields[i + 3]!)];
  }

}

export const CLOSE = 'close';
export const KEEP_ALIVE = 'keep-alive';
export const CHUNKED = 'chunked';

/**
 * Where the line whose rest starts at `from` ends (its CR), `end` for the
 * head's last line; -1 when the rest holds a control character other than
 * HTAB (a bare CR, LF, NUL, DEL...), which is never relayed: field values and
 * reason phrases are visible characters, SP, HTAB and obs-text (RFC 9110 §5.5,
 * RFC 9112 §4). One pass: most bytes cost two tests.
 */
export function lineEnd(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = buf[i]!;
    if (c > 31 && c !== 127) continue;
    if (c === 13) return buf[i + 1] === 10 ? i : -1;
    if (c !== 9) return -1;
  }
  return end;
}

/** A Content-Length value in `buf[from, to)`: 1 to 15 decimal digits; -1 otherwise. */
export function digitsAt(buf: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** True when the last comma-separated element of `buf[from, to)` is `lower`, ignoring case and OWS. */
export function lastTokenIs(buf: Buffer, from: number, to: number, lower: string): boolean {
  let start = to;
  while (start > from && buf[start - 1] !== 44) start--;
  const a = skipOws(buf, start, to);
  return bytesAre(buf, a, dropOws(buf, a, to), lower);
}

/** True when the comma-separated list `buf[from, to)` is empty or has an empty element. */
export function emptyElement(buf: Buffer, from: number, to: number): boolean {
  for (let start = from; ; ) {
    let comma = start;
    while (comma < to && buf[comma] !== 44) comma++;
    if (skipOws(buf, start, comma) === comma) return true;
    if (comma === to) return false;
    start = comma + 1;
  }
}

/** The {@link Kind} of the header name in `buf[from, to)` (token characters, checked); by length first, so most names cost one switch. */
export function kindOf(buf: Buffer, from: number, to: number): Kind {
  switch (to - from) {
    case 2: return bytesAre(buf, from, to, 'te') ? Kind.Hop : Kind.Other;
    case 3: return bytesAre(buf, from, to, 'via') ? Kind.Via : Kind.Other;
    case 7: return bytesAre(buf, from, to, 'trailer') || bytesAre(buf, from, to, 'upgrade') ? Kind.Hop : Kind.Other;
    case 10:
      if (bytesAre(buf, from, to, 'connection')) return Kind.Connection;
      return bytesAre(buf, from, to, KEEP_ALIVE) ? Kind.Hop : Kind.Other;
    case 12: return bytesAre(buf, from, to, 'x-final-host') ? Kind.FinalHost : Kind.Other;
    case 14: return bytesAre(buf, from, to, 'content-length') ? Kind.Length : Kind.Other;
    case 15: return bytesAre(buf, from, to, 'x-forwarded-for') ? Kind.ForwardedFor : Kind.Other;
    case 16: return bytesAre(buf, from, to, 'proxy-connection') ? Kind.Hop : Kind.Other;
    case 17: return bytesAre(buf, from, to, 'transfer-encoding') ? Kind.TransferEncoding : Kind.Other;
    case 18: return bytesAre(buf, from, to, 'proxy-authenticate') ? Kind.Hop : Kind.Other;
    case 19: return bytesAre(buf, from, to, 'proxy-authorization') ? Kind.Hop : Kind.Other;
    default: return Kind.Other;
  }
}

/**
 * The status code of the status line `buf[0, eol)`, `HTTP/1.x NNN[ reason]`
 * (x is 0 or 1, the code 100 to 999), or -1 when the line is malformed. A
 * line end of -1 (a bare CR, LF or NUL in the line) is malformed too.
 */
export function statusOf(buf: Buffer, eol: number): number {
  const minorCode = buf[7];
  const s0 = buf[9]! - 48;
  const s1 = buf[10]! - 48;
  const s2 = buf[11]! - 48;
  if (
    eol < 12 ||
    buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 || buf[4] !== 47 || buf[5] !== 49 || buf[6] !== 46 || // HTTP/1.
    (minorCode !== 48 && minorCode !== 49) ||
    buf[8] !== 32 ||
    !(s0 >= 1 && s0 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9) ||
    (eol > 12 && buf[12] !== 32)
  ) return -1;
  return s0 * 100 + s1 * 10 + s2;
}

/**
 * How the body of a final response is delimited (RFC 9112 §6.3), from its
 * status and framing fields: none for a 204 or 304, then Transfer-Encoding
 * (chunked last, else read to the close), then Content-Length, else read to
 * the close. (An answer to HEAD has none whatever this says: the parser's.)
 */
export function framingOf(status: number, transferEncoding: boolean, chunked: boolean, contentLength: number): Framing {
  if (status === 204 || status === 304) return 'none';
  if (transferEncoding) return chunked ? 'chunked' : 'close';
  if (contentLength >= 0) return contentLength === 0 ? 'none' : 'length';
  return 'close';
}

/** The tokens of a response's Connection fields, read one field at a time. */
export class ConnectionTokens {
  /** Lower-cased tokens other than close and keep-alive: the hop-by-hop headers they name (rare: strings only then). */
  names: string[] | undefined = undefined;

  /**
   * Reads the field value `buf[vs, ve)` (its line ends at `eol`) and returns
   * whether the connection closes after the response, given `close` so far:
   * `close` closes it; `keep-alive` keeps an HTTP/1.0 one open, but not in a
   * field with an HTAB, which llhttp does not read as keep-alive.
   */
  read(buf: Buffer, vs: number, ve: number, eol: number, http10: boolean, close: boolean): boolean {
    for (let t = vs; t <= ve; ) {
      let comma = t;
      while (comma < ve && buf[comma] !== 44) comma++;
      const a = skipOws(buf, t, comma);
      const b = dropOws(buf, a, comma);
      if (bytesAre(buf, a, b, CLOSE)) close = true;
      else if (bytesAre(buf, a, b, KEEP_ALIVE)) {
        if (http10 && !hasHtab(buf, vs, eol)) close = false;
      } else if (b > a) (this.names ??= []).push(buf.toString('latin1', a, b).toLowerCase());
      t = comma + 1;
    }
    return close;
  }
}
