/**
 * golb's own trace lines, on a forwarded request and on the response alike:
 * `Via`, the `X-Forwarded-Host-<node>` timestamp and `X-Final-Host`.
 * @module
 */
import type { ForwardContext } from './forward-headers.ts';

/** golb's lines of the last response from each backend, as bytes: responses from one backend in the same millisecond share them. */
const ownCache = new Map<string, { via: string; timestampHeader: string; timestamp: string; bytes: Buffer }>();
const OWN_CACHE_MAX = 1024;

/** golb's `Via`, timestamp and `X-Final-Host` lines; `via` is the upstream's Via value, if any. */
export function ownLines(ctx: ForwardContext, via: string | undefined): Buffer {
  const { finalHost, timestamp, timestampHeader } = ctx;
  if (via !== undefined) return Buffer.from(`via: ${via}, ${ctx.via}\r\n${timestampHeader}: ${timestamp}\r\nx-final-host: ${finalHost}\r\n`, 'latin1');
  const hit = ownCache.get(finalHost);
  if (hit !== undefined && hit.timestamp === timestamp && hit.via === ctx.via && hit.timestampHeader === timestampHeader) return hit.bytes;
  const bytes = Buffer.from(`via: ${ctx.via}\r\n${timestampHeader}: ${timestamp}\r\nx-final-host: ${finalHost}\r\n`, 'latin1');
  if (hit === undefined && ownCache.size >= OWN_CACHE_MAX) ownCache.clear();
  ownCache.set(finalHost, { via: ctx.via, timestampHeader, timestamp, bytes });
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
