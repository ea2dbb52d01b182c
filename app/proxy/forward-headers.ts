/**
 * Header rewriting between client and upstream (RFC 9110 §7.6).
 *
 * Hop-by-hop headers — `Connection`, every header it names, `Keep-Alive`,
 * `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade` — describe one
 * connection and are not forwarded in either direction (§7.6.1). The engine
 * frames bodies itself, so `Content-Length` and `Host` are set by it, and
 * `Expect` is answered by the server in front (the 100-continue happens on
 * the client's connection). golb's own headers are computed after the client's
 * are filtered, so a client naming `X-Forwarded-For` in `Connection` only
 * drops its own copy, never golb's (the Fabio CVE-2025-48865 pattern).
 *
 * golb's trace headers are its own too: a client's `X-Final-Host` never goes
 * on (each hop sets the one of the backend it chose), nor do its
 * `X-Forwarded-Host-<node>` lines, which a pod could take for golb's. On a
 * request another golb forwarded (marked `X-Golb-Forwarded-By`), the earlier
 * hops' `X-Forwarded-Host-<node>` stay, so the timestamps add up hop by hop;
 * this node's own is always golb's. The mark is no proof: a client that sets
 * it can pass timestamps of its own, as it can pass a Via of its own.
 * @module
 */
import type { HeaderLookup } from '../client-request.ts';
import { REQUEST_FIELD_INTS, RequestHeaders, RequestKind, requestKindOfName } from '../http/request-headers.ts';
import type { HeaderLines } from './engine.ts';
import { bytesAre, putBytes, putLatin1 } from '../http/syntax.ts';

import { ownLines } from './golb-lines.ts';

/** Headers a `Connection` token may not remove: framing and routing stay golb's. */
export const PROTECTED = new Set(['content-length', 'host']);

/** What golb adds to a request on its way up. */
export interface ForwardContext {
  /** The client's address (the socket peer). */
  clientAddress: string;
  /** The scheme the client used. */
  proto: string;
  /** The `Via` token of this node, `1.1 <node>`. */
  via: string;
  /** Header name `x-forwarded-host-<node>`. */
  timestampHeader: string;
  /** Unix time with 7 decimals. */
  timestamp: string;
  /** The chosen backend's `host:port`. */
  finalHost: string;
  /** True when another golb forwarded this request: its `X-Forwarded-Host` is the original host and stays, and so do the earlier hops' `X-Forwarded-Host-<node>`. */
  forwarded: boolean;
  /** `X-Golb-Forwarded-By` to send when the chosen backend is a gateway; undefined for a pod. */
  forwardedBy: string | undefined;
  /** The request id golb sends as `X-Request-Id` in place of the client's line (`app/request-id.ts`); undefined: the client's line, if any, goes on as it is. */
  requestId: string | undefined;
  /** `eb_go_lb_trace_headers`: the seed's trace headers go on the client's response (`golb-lines.ts`). */
  traceHeaders: boolean;
  /** True when the chosen backend is another zone's gateway: its response's hop list and `X-Final-Host` follow this node's. */
  gatewayBackend: boolean;
}

/** The lower-cased names listed in a `Connection` header value. */
function connectionTokens(value: string | null): Set<string> | undefined {
  if (value === null) return undefined;
  // The usual values name no header: no split, no set.
  if (value.length <= 10) {
    const v = value.toLowerCase();
    if (v === 'keep-alive' || v === 'close') return undefined;
  }
  let tokens: Set<string> | undefined;
  for (const t of value.split(',')) {
    const name = t.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || PROTECTED.has(name)) continue;
    (tokens ??= new Set()).add(name);
  }
  return tokens;
}

/** The client's header `name`, unless its `Connection` header named it (then it is hop-by-hop: null). */
function kept(headers: HeaderLookup, nominated: Set<string> | undefined, name: string): string | null {
  return nominated !== undefined && nominated.has(name) ? null : headers.get(name);
}

/**
 * The upstream header lines of a request (`Name: value\r\n` each): the
 * client's, hop-by-hop ones dropped, then golb's forwarding headers. A
 * request golb's server parsed has its kept lines copied as received, bytes
 * for bytes ({@link ReceivedLines}); any other (a web `Request`) is rendered
 * from its pairs.
 */
export function upstreamHeaderBlock(headers: HeaderLookup, ctx: ForwardContext): HeaderLines {
  if (headers instanceof RequestHeaders) return new ReceivedLines(headers, ctx);
  const nominated = connectionTokens(headers.get('connection'));
  let block = '';
  for (const [name, value] of headers) {
    // Every kind but Other is hop-by-hop, framing, or one golb sets itself (request-headers.ts), but an earlier hop's timestamp.
    const kind = requestKindOfName(name);
    if (kind !== RequestKind.Other && !(kind === RequestKind.XForwardedHostNode && ctx.forwarded && name !== ctx.timestampHeader) && !(kind === RequestKind.XRequestId && ctx.requestId === undefined)) continue;
    if (nominated !== undefined && nominated.has(name)) continue;
    block += `${name}: ${value}\r\n`;
  }
  const xff = kept(headers, nominated, 'x-forwarded-for');
  const host = (ctx.forwarded ? kept(headers, nominated, 'x-forwarded-host') : null) ?? headers.get('host');
  return new TextLines(block, new OwnRequestLines(ctx, xff, host, kept(headers, nominated, 'via')));
}

/** Lines given as text, `Name: value\r\n` each (health checks, heads golb's server makes itself, tests). */
export function textHeaderLines(text: string): HeaderLines {
  return new TextLines(text, undefined);
}

/** The names of golb's request lines, each with its `: `. */
const XFF = 'x-forwarded-for: ';
const XFH = 'x-forwarded-host: ';
const XGFB = 'x-golb-forwarded-by: ';
const XFP = 'x-forwarded-proto: ';
const XRI = 'x-request-id: ';

/**
 * golb's lines on a request: `X-Forwarded-For`, `X-Forwarded-Host`,
 * `X-Golb-Forwarded-By`, `X-Forwarded-Proto`, `X-Request-Id`, then the `Via`,
 * timestamp and `X-Final-Host` lines the response gets too ({@link ownLines}),
 * written piece by piece (no string is built for them).
 */
class OwnRequestLines {
  private readonly ctx: ForwardContext;
  /** The client's `X-Forwarded-For`, extended. */
  private readonly xff: string | null;
  /** The `X-Forwarded-Host` value: a string, or `hostRaw[hostFrom, hostTo)` (the request's Host, copied). */
  private readonly host: string | null;
  private readonly hostRaw: Buffer | undefined;
  private readonly hostFrom: number;
  private readonly hostTo: number;
  /** `Via` (the client's extended), the timestamp and `X-Final-Host`. */
  private readonly tail: Buffer;
  readonly byteLength: number;

  constructor(ctx: ForwardContext, xff: string | null, host: string | null, via: string | null, hostRaw?: Buffer, hostFrom = 0, hostTo = 0) {
    this.ctx = ctx;
    this.xff = xff;
    this.host = host;
    this.hostRaw = hostRaw;
    this.hostFrom = hostFrom;
    this.hostTo = hostTo;
    this.tail = ownLines(ctx, via ?? undefined);
    const hostLength = host !== null ? host.length : hostRaw !== undefined ? hostTo - hostFrom : -1;
    // Each line: its name, its value, CRLF.
    this.byteLength =
      XFF.length + (xff === null ? 0 : xff.length + 2) + ctx.clientAddress.length + 2 +
      (hostLength < 0 ? 0 : XFH.length + hostLength + 2) +
      (ctx.forwardedBy === undefined ? 0 : XGFB.length + ctx.forwardedBy.length + 2) +
      XFP.length + ctx.proto.length + 2 +
      (ctx.requestId === undefined ? 0 : XRI.length + ctx.requestId.length + 2) +
      this.tail.length;
  }

  writeTo(buf: Buffer, at: number): number {
    const { ctx, xff } = this;
    at = putLatin1(buf, at, XFF);
    if (xff !== null) at = putLatin1(buf, putLatin1(buf, at, xff), ', ');
    at = crlf(buf, putLatin1(buf, at, ctx.clientAddress));
    if (this.host !== null) at = crlf(buf, putLatin1(buf, putLatin1(buf, at, XFH), this.host));
    else if (this.hostRaw !== undefined) at = crlf(buf, putBytes(buf, putLatin1(buf, at, XFH), this.hostRaw, this.hostFrom, this.hostTo));
    if (ctx.forwardedBy !== undefined) at = crlf(buf, putLatin1(buf, putLatin1(buf, at, XGFB), ctx.forwardedBy));
    at = crlf(buf, putLatin1(buf, putLatin1(buf, at, XFP), ctx.proto));
    if (ctx.requestId !== undefined) at = crlf(buf, putLatin1(buf, putLatin1(buf, at, XRI), ctx.requestId));
    return putBytes(buf, at, this.tail, 0, this.tail.length);
  }
}

/** True when the header name `raw[from, to)` is one of `names` (lower-case), ignoring case. */
export function isNamed(names: Iterable<string>, raw: Buffer, from: number, to: number): boolean {
  for (const name of names) if (bytesAre(raw, from, to, name)) return true;
  return false;
}

/** Writes CRLF at `at`; returns the offset after it. */
function crlf(buf: Buffer, at: number): number {
  buf[at] = 13;
  buf[at + 1] = 10;
  return at + 2;
}

/** Header lines rendered as text, then golb's, if any. */
class TextLines implements HeaderLines {
  private readonly text: string;
  private readonly own: OwnRequestLines | undefined;
  readonly byteLength: number;

  constructor(text: string, own: OwnRequestLines | undefined) {
    this.text = text;
    this.own = own;
    this.byteLength = text.length + (own === undefined ? 0 : own.byteLength);
  }

  writeTo(buf: Buffer, at: number): number {
    at = putLatin1(buf, at, this.text);
    return this.own === undefined ? at : this.own.writeTo(buf, at);
  }
}

/**
 * The kept lines of a request golb's server parsed, copied from its bytes,
 * then golb's lines. Strings are made only of the client's forwarding values
 * golb extends (`X-Forwarded-For`, `Via`, a forwarded `X-Forwarded-Host`) and
 * of a `Connection` value that names headers; the Host value is copied.
 */
class ReceivedLines implements HeaderLines {
  private readonly headers: RequestHeaders;
  /** Lower-case names the client's Connection header made hop-by-hop, besides the usual ones; undefined for none (the usual case). */
  private readonly nominated: Set<string> | undefined;
  /** The name of this node's `X-Forwarded-Host-<node>` when earlier hops' are kept (a forwarded request); undefined when none is. */
  private readonly hopsKeptBut: string | undefined;
  /** The client's `X-Request-Id` line goes on (golb sends no id of its own). */
  private readonly clientIdKept: boolean;
  private readonly own: OwnRequestLines;
  readonly byteLength: number;

  constructor(headers: RequestHeaders, ctx: ForwardContext) {
    this.headers = headers;
    this.hopsKeptBut = ctx.forwarded ? ctx.timestampHeader : undefined;
    this.clientIdKept = ctx.requestId === undefined;
    const { raw, fields, count } = headers;
    const end = count * REQUEST_FIELD_INTS;
    // The fields golb reads, by kind: usually only Host is there.
    let hostAt = -1;
    let connection = false;
    let extended = false;
    for (let i = 5; i < end; i += REQUEST_FIELD_INTS) {
      const kind = fields[i];
      if (kind === RequestKind.Host) {
        if (hostAt < 0) hostAt = i - 5;
      } else if (kind === RequestKind.Connection) connection = true;
      else if (kind === RequestKind.XForwardedFor || kind === RequestKind.Via || kind === RequestKind.XForwardedHost) extended = true;
    }
    const nominated = connection ? connectionTokens(headers.get('connection')) : undefined;
    this.nominated = nominated;
    const xff = extended ? kept(headers, nominated, 'x-forwarded-for') : null;
    const via = extended ? kept(headers, nominated, 'via') : null;
    const xfh = extended && ctx.forwarded ? kept(headers, nominated, 'x-forwarded-host') : null;
    this.own =
      xfh !== null || hostAt < 0
        ? new OwnRequestLines(ctx, xff, xfh, via)
        : new OwnRequestLines(ctx, xff, null, via, raw, fields[hostAt + 2]!, fields[hostAt + 3]!);
    // At most: every line from the first to the last, then golb's.
    const lines = count === 0 ? 0 : fields[end - REQUEST_FIELD_INTS + 4]! + 2 - fields[0]!;
    this.byteLength = lines + this.own.byteLength;
  }

  writeTo(buf: Buffer, at: number): number {
    const { raw, fields, count } = this.headers;
    const { nominated, hopsKeptBut } = this;
    // Adjacent kept lines go in one copy.
    let runStart = 0;
    let runEnd = 0;
    for (let i = 0; i < count * REQUEST_FIELD_INTS; i += REQUEST_FIELD_INTS) {
      const kind = fields[i + 5];
      if (kind !== RequestKind.Other && !(kind === RequestKind.XRequestId && this.clientIdKept)) {
        // An earlier hop's timestamp goes on with a forwarded request; anything else of a kind golb reads does not.
        if (kind !== RequestKind.XForwardedHostNode || hopsKeptBut === undefined || bytesAre(raw, fields[i]!, fields[i + 1]!, hopsKeptBut)) continue;
      }
      const start = fields[i]!;
      if (nominated !== undefined && isNamed(nominated, raw, start, fields[i + 1]!)) continue;
      const lineEnd = fields[i + 4]! + 2;
      if (start !== runEnd) {
        at = putBytes(buf, at, raw, runStart, runEnd);
        runStart = start;
      }
      runEnd = lineEnd;
    }
    return this.own.writeTo(buf, putBytes(buf, at, raw, runStart, runEnd));
  }
}
