/**
 * A request's header fields as the parser found them: offsets into the
 * received head's bytes, with a kind per field, and strings made only for
 * what a route asks for. The proxy copies the kept lines to the upstream as
 * bytes (`forward-headers.ts`), so a forwarded request makes no string per
 * header.
 * @module
 */
import { bytesAre } from './syntax.ts';

/** Ints per field in {@link RequestHeaders.fields}: name start, colon, value start, value end (OWS trimmed), line end (its CR), kind. */
export const REQUEST_FIELD_INTS = 6;

/** What a request header means to golb; everything but `Other` is read by golb, or forwarded only as `forward-headers.ts` decides. */
export const enum RequestKind {
  Other,
  Host,
  // ContentLength to Expect: what the parser reads for framing and the connection (kept in one run: it tests the range).
  ContentLength,
  TransferEncoding,
  Connection,
  Expect,
  Via,
  XForwardedFor,
  XForwardedHost,
  XForwardedProto,
  XGolbForwardedBy,
  /** `X-Final-Host`: golb's, set per hop; a client's never goes on. */
  XFinalHost,
  /** `X-Forwarded-Host-<node>`, a golb hop's timestamp (any node name): goes on only on a request a gateway forwarded. */
  XForwardedHostNode,
  /** Hop-by-hop (RFC 9110 §7.6.1): Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Upgrade. */
  Hop,
  /** `X-Request-Id`: golb sends its own line (the client's value when it is sane, `app/request-id.ts`). */
  XRequestId,
}

/** The start of every {@link RequestKind.XForwardedHostNode} name. */
const TIMESTAMP_PREFIX = 'x-forwarded-host-';

/** The kind of a lower-case header name. */
export function requestKindOfName(name: string): RequestKind {
  switch (name) {
    case 'host': return RequestKind.Host;
    case 'content-length': return RequestKind.ContentLength;
    case 'transfer-encoding': return RequestKind.TransferEncoding;
    case 'connection': return RequestKind.Connection;
    case 'expect': return RequestKind.Expect;
    case 'via': return RequestKind.Via;
    case 'x-forwarded-for': return RequestKind.XForwardedFor;
    case 'x-forwarded-host': return RequestKind.XForwardedHost;
    case 'x-forwarded-proto': return RequestKind.XForwardedProto;
    case 'x-golb-forwarded-by': return RequestKind.XGolbForwardedBy;
    case 'x-final-host': return RequestKind.XFinalHost;
    case 'x-request-id': return RequestKind.XRequestId;
    case 'keep-alive':
    case 'proxy-connection':
    case 'proxy-authenticate':
    case 'proxy-authorization':
    case 'te':
    case 'trailer':
    case 'upgrade':
      return RequestKind.Hop;
    default:
      return name.length > TIMESTAMP_PREFIX.length && name.startsWith(TIMESTAMP_PREFIX) ? RequestKind.XForwardedHostNode : RequestKind.Other;
  }
}

/** The kind of the header name `buf[from, to)`, compared ignoring ASCII case; by length first, so most names cost one switch. */
export function requestKindOf(buf: Uint8Array, from: number, to: number): RequestKind {
  const n = to - from;
  // Every name longer than the prefix is tested; most differ from it at their first byte.
  if (n > TIMESTAMP_PREFIX.length && bytesAre(buf, from, from + TIMESTAMP_PREFIX.length, TIMESTAMP_PREFIX)) return RequestKind.XForwardedHostNode;
  switch (n) {
    case 2: return bytesAre(buf, from, to, 'te') ? RequestKind.Hop : RequestKind.Other;
    case 3: return bytesAre(buf, from, to, 'via') ? RequestKind.Via : RequestKind.Other;
    case 4: return bytesAre(buf, from, to, 'host') ? RequestKind.Host : RequestKind.Other;
    case 6: return bytesAre(buf, from, to, 'expect') ? RequestKind.Expect : RequestKind.Other;
    case 7: return bytesAre(buf, from, to, 'trailer') || bytesAre(buf, from, to, 'upgrade') ? RequestKind.Hop : RequestKind.Other;
    case 10:
      if (bytesAre(buf, from, to, 'connection')) return RequestKind.Connection;
      return bytesAre(buf, from, to, 'keep-alive') ? RequestKind.Hop : RequestKind.Other;
    case 12:
      if (bytesAre(buf, from, to, 'x-final-host')) return RequestKind.XFinalHost;
      return bytesAre(buf, from, to, 'x-request-id') ? RequestKind.XRequestId : RequestKind.Other;
    case 14: return bytesAre(buf, from, to, 'content-length') ? RequestKind.ContentLength : RequestKind.Other;
    case 15: return bytesAre(buf, from, to, 'x-forwarded-for') ? RequestKind.XForwardedFor : RequestKind.Other;
    case 16:
      if (bytesAre(buf, from, to, 'x-forwarded-host')) return RequestKind.XForwardedHost;
      return bytesAre(buf, from, to, 'proxy-connection') ? RequestKind.Hop : RequestKind.Other;
    case 17:
      if (bytesAre(buf, from, to, 'transfer-encoding')) return RequestKind.TransferEncoding;
      return bytesAre(buf, from, to, 'x-forwarded-proto') ? RequestKind.XForwardedProto : RequestKind.Other;
    case 18: return bytesAre(buf, from, to, 'proxy-authenticate') ? RequestKind.Hop : RequestKind.Other;
    case 19:
      if (bytesAre(buf, from, to, 'x-golb-forwarded-by')) return RequestKind.XGolbForwardedBy;
      return bytesAre(buf, from, to, 'proxy-authorization') ? RequestKind.Hop : RequestKind.Other;
    default:
      return RequestKind.Other;
  }
}

/** True for the kinds several names share (Other, Hop, X-Forwarded-Host-<node>): a field of one is compared by name. */
function shared(kind: RequestKind): boolean {
  return kind === RequestKind.Other || kind === RequestKind.Hop || kind === RequestKind.XForwardedHostNode;
}

/**
 * The header fields of one request: lower-cased names, values trimmed of OWS,
 * duplicates kept, in order. They point into the received head and into the
 * parser's field table, which the connection's next request reuses: a
 * request's headers are read while it is handled (golb's server copies them
 * into a web `Request` for the web routes at once).
 */
export class RequestHeaders implements Iterable<[string, string]> {
  /** The received head's bytes. */
  readonly raw: Buffer;
  /** {@link REQUEST_FIELD_INTS} ints per field. */
  readonly fields: Int32Array;
  /** How many fields. */
  readonly count: number;
  private list: [string, string][] | undefined = undefined;

  constructor(raw: Buffer, fields: Int32Array, count: number) {
    this.raw = raw;
    this.fields = fields;
    this.count = count;
  }

  /** The value of `name` (lower-case), or null; the values of a repeated field joined with ', ' as Fetch's Headers.get does. */
  get(name: string): string | null {
    const kind = requestKindOfName(name);
    const { fields, raw } = this;
    const end = this.count * REQUEST_FIELD_INTS;
    let value: string | null = null;
    for (let i = 0; i < end; i += REQUEST_FIELD_INTS) {
      if (fields[i + 5] !== kind || (shared(kind) && !bytesAre(raw, fields[i]!, fields[i + 1]!, name))) continue;
      const v = this.valueAt(i);
      value = value === null ? v : `${value}, ${v}`;
    }
    return value;
  }

  /** True when the request has a field `name` (lower-case). */
  has(name: string): boolean {
    const kind = requestKindOfName(name);
    const { fields, raw } = this;
    const end = this.count * REQUEST_FIELD_INTS;
    for (let i = 0; i < end; i += REQUEST_FIELD_INTS) {
      if (fields[i + 5] === kind && (!shared(kind) || bytesAre(raw, fields[i]!, fields[i + 1]!, name))) return true;
    }
    return false;
  }

  /** The value of the field whose ints start at `i`. */
  valueAt(i: number): string {
    return latin1(this.raw, this.fields[i + 2]!, this.fields[i + 3]!);
  }

  /** The pairs, `[name, value]`, as received (names lower-cased); made on first use. */
  get pairs(): [string, string][] {
    if (this.list !== undefined) return this.list;
    const out: [string, string][] = [];
    const end = this.count * REQUEST_FIELD_INTS;
    for (let i = 0; i < end; i += REQUEST_FIELD_INTS) {
      out.push([latin1(this.raw, this.fields[i]!, this.fields[i + 1]!).toLowerCase(), this.valueAt(i)]);
    }
    this.list = out;
    return out;
  }

  /** The pairs in order, a repeated field once per occurrence. */
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.pairs[Symbol.iterator]();
  }
}

/** `buf[from, to)` as a string, one character per byte. */
function latin1(buf: Buffer, from: number, to: number): string {
  return buf.toString('latin1', from, to);
}
