/**
 * The client's side of a proxied response's headers (RFC 9110 §7.6): the
 * upstream's lines as received, less the hop-by-hop ones and those its
 * `Connection` names (`forward-headers.ts` has the rule and the request side),
 * then golb's `Via` and, unless `eb_go_lb_trace_headers` is off, the seed's
 * trace headers (`X-Forwarded-For: <node>`, timestamp, `X-Final-Host`:
 * `golb-lines.ts`), and the request's `X-Request-Id` (in place of the upstream's).
 * @module
 */
import type { ResponseHeaderBlock } from '../client-request.ts';
import { bytesAre, putBytes, putLatin1 } from '../http/syntax.ts';
import { FIELD_INTS, Kind, type ResponseHead } from './response-head.ts';
import { PROTECTED, isNamed, type ForwardContext } from './forward-headers.ts';
import { responseLines } from './golb-lines.ts';

/**
 * The client's response headers from the upstream's head: hop-by-hop ones and
 * those the upstream's `Connection` names dropped, duplicates (Set-Cookie)
 * kept, and golb's `Via`, timestamp and `X-Final-Host` replacing any upstream
 * value. The kept lines are copied to the client as the upstream sent them
 * (no string per header); {@link ClientHeaders.pairs} gives them as pairs for
 * a web `Response`.
 */
export function clientResponseHeaders(head: ResponseHead, ctx: ForwardContext): ClientHeaders {
  const { raw, fields } = head;
  const timestampHeader = ctx.timestampHeader;
  // What the upstream's Connection names besides close and keep-alive, never framing or routing (rare: the usual head has none).
  const named = head.connectionNames?.filter((name) => !PROTECTED.has(name));
  const end = head.count * FIELD_INTS;
  let bytes = 0;
  let via: string | undefined;
  // A gateway's hop list and X-Final-Host go on after this node's; a pod's are not golb's and are replaced.
  const trace = ctx.traceHeaders;
  const collect = trace && ctx.gatewayBackend;
  let hops: string | undefined;
  let finals: string | undefined;
  for (let i = 0; i < end; i += FIELD_INTS) {
    // Each header's mark says whether the client gets it.
    fields[i + SENT] = 0;
    let kind = fields[i + 5];
    if (kind === Kind.FinalHost || (kind === Kind.ForwardedFor && trace)) {
      if (collect) {
        const value = raw.toString('latin1', fields[i + 2]!, fields[i + 3]!);
        if (kind === Kind.FinalHost) finals = finals === undefined ? value : `${finals}, ${value}`;
        else hops = hops === undefined ? value : `${hops}, ${value}`;
      }
      continue;
    }
    if (kind === Kind.ForwardedFor) kind = Kind.Other; // trace headers off: the upstream's passes as any header
    if (kind !== Kind.Other && kind !== Kind.Length && kind !== Kind.Via) continue; // hop-by-hop, golb's own, or dropped by the parser
    const start = fields[i]!;
    const colon = fields[i + 1]!;
    if (named !== undefined && isNamed(named, raw, start, colon)) continue;
    if (kind === Kind.Via) {
      const value = raw.toString('latin1', fields[i + 2]!, fields[i + 3]!);
      via = via === undefined ? value : `${via}, ${value}`;
      continue;
    }
    if (bytesAre(raw, start, colon, timestampHeader)) continue; // golb's own, set below
    if (ctx.requestId !== undefined && bytesAre(raw, start, colon, 'x-request-id')) continue; // the request's id, set below
    fields[i + SENT] = 1;
    bytes += fields[i + 4]! + 2 - start;
  }
  const own = responseLines(ctx, via, hops, finals);
  const id = ctx.requestId;
  return new ClientHeaders(head, own, id, statusLineBytes(head) + bytes + own.length + (id === undefined ? 0 : REQUEST_ID.length + id.length + 2));
}

/** The name of the request id's line, with its `: `. */
const REQUEST_ID = 'x-request-id: ';

/** The bytes of the status line {@link ClientHeaders.writeTo} writes: as received, but as HTTP/1.1 and with the SP before an empty reason phrase. */
function statusLineBytes(head: ResponseHead): number {
  return head.statusEnd + 2 + (head.statusEnd === 12 ? 1 : 0);
}

/** Where in a header's ints of `ResponseHead.fields` its mark is: 1 when the client gets the header. */
const SENT = FIELD_INTS - 1;

/** The status line and header lines of a proxied response: the upstream's status and kept lines, as bytes, then golb's. */
export class ClientHeaders implements ResponseHeaderBlock {
  /** The upstream's head, the headers the client gets marked. */
  private readonly head: ResponseHead;
  /** golb's lines (`Via`, and the trace headers when on), `Name: value\r\n` each. */
  private readonly own: Buffer;
  /** The request's id, sent as `X-Request-Id` after them; undefined: none (the upstream's line, if any, was kept). */
  private readonly requestId: string | undefined;
  readonly byteLength: number;

  constructor(head: ResponseHead, own: Buffer, requestId: string | undefined, byteLength: number) {
    this.head = head;
    this.own = own;
    this.requestId = requestId;
    this.byteLength = byteLength;
  }

  writeTo(buf: Buffer, at: number): number {
    const { raw, fields } = this.head;
    // The status line as received, but always HTTP/1.1 ({@link statusLineBytes}); then adjacent kept lines go in one copy with it.
    let runStart = 0;
    if (raw[7] !== 49) {
      at = putLatin1(buf, at, 'HTTP/1.1');
      runStart = 8;
    }
    const statusEnd = this.head.statusEnd;
    if (statusEnd === 12) {
      // No reason phrase: the SP before it is still sent.
      at = putBytes(buf, at, raw, runStart, 12);
      buf[at++] = 32;
      runStart = 12;
    }
    let runEnd = statusEnd + 2;
    const end = this.head.count * FIELD_INTS;
    for (let i = 0; i < end; i += FIELD_INTS) {
      if (fields[i + SENT] === 0) continue;
      const start = fields[i]!;
      const lineEnd = fields[i + 4]! + 2;
      if (start === runEnd) runEnd = lineEnd;
      else {
        at = putBytes(buf, at, raw, runStart, runEnd);
        runStart = start;
        runEnd = lineEnd;
      }
    }
    at = putBytes(buf, at, raw, runStart, runEnd);
    at = putBytes(buf, at, this.own, 0, this.own.length);
    const id = this.requestId;
    if (id === undefined) return at;
    at = putLatin1(buf, at, REQUEST_ID);
    at = putLatin1(buf, at, id);
    buf[at] = 13;
    buf[at + 1] = 10;
    return at + 2;
  }

  pairs(): [string, string][] {
    const fields = this.head.fields;
    const out: [string, string][] = [];
    const end = this.head.count * FIELD_INTS;
    for (let i = 0; i < end; i += FIELD_INTS) if (fields[i + SENT] === 1) out.push(this.head.pair(i));
    const own = this.own.toString('latin1');
    for (let at = 0; at < own.length; ) {
      const colon = own.indexOf(': ', at);
      const eol = own.indexOf('\r\n', colon);
      out.push([own.slice(at, colon), own.slice(colon + 2, eol)]);
      at = eol + 2;
    }
    if (this.requestId !== undefined) out.push(['x-request-id', this.requestId]);
    return out;
  }
}
