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
 * @module
 */
import type { HeaderLookup } from '../client-request.ts';

/** Request headers never copied to the upstream. */
const DROP_ON_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'via',
  'x-golb-forwarded-by',
]);

/** Response headers never copied to the client. */
const DROP_ON_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a `Connection` token may not remove: framing and routing stay golb's. */
const PROTECTED = new Set(['content-length', 'host']);

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
  /** True when another golb forwarded this request: its `X-Forwarded-Host` is the original host and stays. */
  forwarded: boolean;
  /** `X-Golb-Forwarded-By` to send when the chosen backend is a gateway; undefined for a pod. */
  forwardedBy: string | undefined;
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
 * Builds the upstream header block (`Name: value\r\n` lines) from the client's
 * headers: hop-by-hop ones dropped, forwarding headers appended.
 */
export function upstreamHeaderBlock(headers: HeaderLookup, ctx: ForwardContext): string {
  const nominated = connectionTokens(headers.get('connection'));
  let block = '';
  for (const [name, value] of headers) {
    if (DROP_ON_REQUEST.has(name) || (nominated !== undefined && nominated.has(name))) continue;
    block += `${name}: ${value}\r\n`;
  }
  const xff = kept(headers, nominated, 'x-forwarded-for');
  block += `x-forwarded-for: ${xff === null ? ctx.clientAddress : `${xff}, ${ctx.clientAddress}`}\r\n`;
  const host = (ctx.forwarded ? kept(headers, nominated, 'x-forwarded-host') : null) ?? headers.get('host');
  if (host !== null) block += `x-forwarded-host: ${host}\r\n`;
  if (ctx.forwardedBy !== undefined) block += `x-golb-forwarded-by: ${ctx.forwardedBy}\r\n`;
  block += `x-forwarded-proto: ${ctx.proto}\r\n`;
  const via = kept(headers, nominated, 'via');
  block += `via: ${via === null ? ctx.via : `${via}, ${ctx.via}`}\r\n`;
  block += `${ctx.timestampHeader}: ${ctx.timestamp}\r\nx-final-host: ${ctx.finalHost}\r\n`;
  return block;
}

/**
 * The client's response headers from the upstream's: hop-by-hop ones and those
 * the upstream's `Connection` names dropped, duplicates (Set-Cookie) kept, and
 * golb's `Via`, timestamp and `X-Final-Host` replacing any upstream value.
 * Returned as pairs, a `HeadersInit` the servers take in one call.
 */
export function clientResponseHeaders(upstream: readonly [string, string][], ctx: ForwardContext): [string, string][] {
  let nominated: Set<string> | undefined;
  for (const [name, value] of upstream) {
    if (name !== 'connection') continue;
    const tokens = connectionTokens(value);
    if (tokens !== undefined) for (const t of tokens) (nominated ??= new Set()).add(t);
  }
  const out: [string, string][] = [];
  const timestampHeader = ctx.timestampHeader;
  let via: string | undefined;
  for (const pair of upstream) {
    const name = pair[0];
    if (DROP_ON_RESPONSE.has(name) || (nominated !== undefined && nominated.has(name))) continue;
    if (name === 'via') {
      via = via === undefined ? pair[1] : `${via}, ${pair[1]}`;
      continue;
    }
    if (name === timestampHeader || name === 'x-final-host') continue; // golb's own, set below
    out.push(pair);
  }
  out.push(['via', via === undefined ? ctx.via : `${via}, ${ctx.via}`], [timestampHeader, ctx.timestamp], ['x-final-host', ctx.finalHost]);
  return out;
}

/** Unix time in seconds with 7 decimals, the seed's `X-Forwarded-Host-<node>` value. */
export function unixTimestamp(ms: number): string {
  return (ms / 1000).toFixed(7);
}
