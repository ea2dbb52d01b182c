/**
 * The request golb sends upstream, as bytes: a pure `renderRequestHead`
 * (method, target, Host, the header lines, the framing line) into a buffer
 * the caller gives, and the reading-out of a request body nobody will send.
 * @module
 */
import type { UpstreamRequest } from './engine.ts';
import { putLatin1 } from '../http/syntax.ts';

/** Bytes of a head besides its method, target, Host value and header lines: the fixed text and the longest framing line. */
const HEAD_EXTRA = 96;

/** The most bytes {@link renderRequestHead} writes for `req`. */
export function requestHeadSize(req: UpstreamRequest): number {
  return req.method.length + req.target.length + req.address.length + req.headers.byteLength + HEAD_EXTRA;
}

/**
 * Writes `req`'s head into `buf` (at least {@link requestHeadSize} bytes) from
 * its start; returns its length. The body is framed by its length when known,
 * else chunked; a POST, PUT or PATCH without one says `Content-Length: 0`.
 */
export function renderRequestHead(buf: Buffer, req: UpstreamRequest): number {
  const { method, target, address, headers } = req;
  let at = putLatin1(buf, 0, method);
  buf[at++] = 32;
  at = putLatin1(buf, at, target);
  at = putLatin1(buf, at, ' HTTP/1.1\r\nHost: ');
  at = putLatin1(buf, at, address);
  buf[at++] = 13;
  buf[at++] = 10;
  at = headers.writeTo(buf, at);
  if (req.body === null) {
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') at = putLatin1(buf, at, 'Content-Length: 0\r\n');
  } else at = putLatin1(buf, at, req.bodyLength === undefined ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${req.bodyLength}\r\n`);
  buf[at++] = 13;
  buf[at++] = 10;
  return at;
}

/** Most bytes of an abandoned request body read and dropped before it is cancelled. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * Reads the rest of a request body nobody will send (the exchange failed, or
 * the upstream answered first) and drops it, so the client's keep-alive
 * connection stays usable; past {@link DISCARD_LIMIT} it is cancelled. golb's
 * server stops such a read itself once the answer is out (it drops the rest of
 * the body on its side); a fetch-style server behind `WebRequest` may not
 * drain a cancelled body (@hono/node-server pauses the socket for good), so
 * the engine does not rely on cancelling.
 */
export async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let total = 0;
  try {
    while (total <= DISCARD_LIMIT) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.length;
    }
  } catch {
    return; // the client went away: nothing left to keep usable
  }
  await reader.cancel().catch(() => undefined);
}

