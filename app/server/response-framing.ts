/**
 * How a response golb writes to a client is framed (RFC 9112 §6.3) and
 * whether the connection stays after it: a pure choice, made once per
 * response, of one of the pre-rendered head ends.
 * @module
 */

/**
 * The ends of response heads, as bytes, by framing (none, an empty body,
 * chunked) and then by connection (kept, closing, kept for an HTTP/1.0
 * client): indexed by {@link responseFraming}.
 */
export const HEAD_END_BYTES = ['', 'content-length: 0\r\n', 'transfer-encoding: chunked\r\n'].flatMap((framing) =>
  ['', 'connection: close\r\n', 'connection: keep-alive\r\n'].map((connection) => Buffer.from(`${framing}${connection}\r\n`, 'latin1')),
);

/** The first {@link responseFraming} of a chunked body. */
export const CHUNKED_FRAMING = 6;
/** `responseFraming % 3` of a response after which the connection closes. */
export const CLOSING_FRAMING = 1;

/** True when a response to a `method` request with `status` carries no body. */
export function noResponseBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || status < 200;
}

/**
 * The index into {@link HEAD_END_BYTES} for a response with `status` to a
 * `method` request (`http10`: from an HTTP/1.0 client), its connection kept
 * (`keepAlive`) or not. `length` is the body's Content-Length (among the
 * headers already written), -1 when unknown: then the body goes out chunked,
 * or, to an HTTP/1.0 client, ends with the connection (which then closes);
 * none for a response that has no body ({@link noResponseBody}).
 */
export function responseFraming(method: string, http10: boolean, keepAlive: boolean, status: number, length: number, hasBody: boolean): number {
  let framing = 0;
  if (length < 0 && !noResponseBody(method, status)) {
    if (!hasBody) framing = 1;
    else if (http10) keepAlive = false; // framed by the close
    else framing = 2;
  }
  return framing * 3 + (!keepAlive ? 1 : http10 ? 2 : 0);
}
