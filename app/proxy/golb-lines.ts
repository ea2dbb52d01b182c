/**
 * golb's own trace lines, on a forwarded request and on the response:
 * `Via`, the `X-Forwarded-Host-<node>` timestamp and `X-Final-Host`; on the
 * response also `X-Forwarded-For: <node>`, the Go seed's hop list.
 *
 * The seed set its lines on the client's response before its reverse proxy
 * added the upstream's, so behind two zones the client saw
 * `X-Forwarded-For: gw-a, gw-b` and `X-Final-Host: <gw-b>, <pod>`: edgerun's
 * tools (galileo) take the last `X-Final-Host` entry as the pod that served
 * the request and walk the `X-Forwarded-For` hops, timing each by the
 * `X-Forwarded-Host-<node>` stamps. {@link responseLines} writes the same
 * lists: this node first, then what the gateway behind it answered
 * (`response-headers.ts` collects that; a pod's lines of those names are not
 * golb's and are replaced). The hop list names nodes as the timestamp header
 * does (lower case), so a parser that builds `x-forwarded-host-<hop>` from it
 * finds the stamp. `eb_go_lb_trace_headers=off` leaves all but `Via` out of
 * the response; the request keeps its lines whatever the setting.
 * @module
 */
import type { ForwardContext } from './forward-headers.ts';

/** golb's lines of the last response from each backend, as bytes: responses from one backend in the same millisecond share them. */
const ownCache = new Map<string, { via: string; timestampHeader: string; timestamp: string; bytes: Buffer }>();
const OWN_CACHE_MAX = 1024;
/** The same for responses: the request's lines plus `X-Forwarded-For: <node>`. */
const responseCache = new Map<string, { via: string; timestampHeader: string; timestamp: string; bytes: Buffer }>();

/** `Via: <node>` lines of responses without trace headers, by Via token. */
const viaOnly = new Map<string, Buffer>();

/** The prefix of the timestamp header's name; the node follows it. */
const STAMP_PREFIX = 'x-forwarded-host-';

/** golb's `Via`, timestamp and `X-Final-Host` lines; `via` is the upstream's Via value, if any. */
export function ownLines(ctx: ForwardContext, via: string | undefined): Buffer {
  return cachedLines(ownCache, ctx, via, '');
}

/**
 * golb's lines on the client's response. `via` is the upstream's Via value;
 * `hops` and `finals` the `X-Forwarded-For` and `X-Final-Host` values of a
 * gateway backend's response (undefined for a pod's, or when it sent none),
 * which go after this node's own entries. With trace headers off, `Via` alone.
 */
export function responseLines(ctx: ForwardContext, via: string | undefined, hops: string | undefined, finals: string | undefined): Buffer {
  if (!ctx.traceHeaders) return viaLines(ctx.via, via);
  const node = ctx.timestampHeader.slice(STAMP_PREFIX.length);
  if (hops === undefined && finals === undefined) return cachedLines(responseCache, ctx, via, `x-forwarded-for: ${node}\r\n`);
  const hopList = hops === undefined ? node : `${node}, ${hops}`;
  const finalList = finals === undefined ? ctx.finalHost : `${ctx.finalHost}, ${finals}`;
  const viaLine = `via: ${via === undefined ? ctx.via : `${via}, ${ctx.via}`}\r\n`;
  return Buffer.from(`${viaLine}x-forwarded-for: ${hopList}\r\n${ctx.timestampHeader}: ${ctx.timestamp}\r\nx-final-host: ${finalList}\r\n`, 'latin1');
}

/** This node's `Via` line alone (trace headers off), after the upstream's `via` when it sent one. */
function viaLines(own: string, via: string | undefined): Buffer {
  if (via !== undefined) return Buffer.from(`via: ${via}, ${own}\r\n`, 'latin1');
  let bytes = viaOnly.get(own);
  if (bytes === undefined) {
    if (viaOnly.size >= OWN_CACHE_MAX) viaOnly.clear();
    viaOnly.set(own, (bytes = Buffer.from(`via: ${own}\r\n`, 'latin1')));
  }
  return bytes;
}

/** `Via`, then `extra` (fixed per node), the timestamp and `X-Final-Host`, from `cache` when the backend, node and millisecond match. */
function cachedLines(cache: typeof ownCache, ctx: ForwardContext, via: string | undefined, extra: string): Buffer {
  const { finalHost, timestamp, timestampHeader } = ctx;
  if (via !== undefined) return Buffer.from(`via: ${via}, ${ctx.via}\r\n${extra}${timestampHeader}: ${timestamp}\r\nx-final-host: ${finalHost}\r\n`, 'latin1');
  const hit = cache.get(finalHost);
  if (hit !== undefined && hit.timestamp === timestamp && hit.via === ctx.via && hit.timestampHeader === timestampHeader) return hit.bytes;
  const bytes = Buffer.from(`via: ${ctx.via}\r\n${extra}${timestampHeader}: ${timestamp}\r\nx-final-host: ${finalHost}\r\n`, 'latin1');
  if (hit === undefined && cache.size >= OWN_CACHE_MAX) cache.clear();
  cache.set(finalHost, { via: ctx.via, timestampHeader, timestamp, bytes });
  return bytes;
}

/** The timestamp of the last call and its text: requests in the same millisecond share one string. */
let stampMs = Number.NaN;
let stamp = '';

/** Unix time in seconds with 7 decimals, the seed's `X-Forwarded-Host-<node>` value. */
export function unixTimestamp(ms: number): string {
  if (ms !== stampMs) {
    stampMs = ms;
    stamp = (ms / 1000).toFixed(7);
  }
  return stamp;
}
