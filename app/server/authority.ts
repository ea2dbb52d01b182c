/**
 * The authority of a request, `host[:port]`, as a `Host` field value or the
 * authority of an absolute-form target must be (RFC 9112 §3.2, RFC 3986 §3.2.2):
 *
 *     host = IP-literal / IPv4address / reg-name
 *     IP-literal = "[" IPv6address "]"       (IPvFuture is refused)
 *     reg-name = *( unreserved / pct-encoded / sub-delims )
 *     port = *DIGIT                          (here at most 5, up to 65535)
 *
 * Why it matters: the web app's URL is built from it, and a Host holding `/`,
 * `?`, `#` or `@` would move the request's path (`Host: a/metrics?` turned
 * `GET /static/x` into `/metrics`), bypassing any rule an ingress applies by
 * path. Anything outside the grammar is refused with 400 before routing.
 * @module
 */

/** reg-name's characters besides `%`: unreserved and sub-delims (RFC 3986 §2.2, §2.3). */
const REG_NAME = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=") REG_NAME[c.charCodeAt(0)] = 1;

/** True for an ASCII hex digit. */
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** True when `bytes[from, to)` is `*DIGIT` of at most 5 digits, up to 65535 (empty is allowed, RFC 3986 §3.2.3). */
function portOk(bytes: Uint8Array, from: number, to: number): boolean {
  if (to - from > 5) return false;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return false;
    n = n * 10 + d;
  }
  return n <= 65535;
}

/**
 * True when `bytes[from, to)` is an authority `host[:port]` (no userinfo): an
 * IPv6 literal in brackets, or a reg-name (which covers IPv4). An empty value
 * is allowed, as RFC 9112 §3.2 asks of a target without an authority.
 */
export function authorityOk(bytes: Uint8Array, from: number, to: number): boolean {
  let i = from;
  if (i < to && bytes[i] === 91) {
    // "[" IPv6address "]": hex digits, ':' and '.' (an embedded IPv4); the URL parser checks the rest.
    i++;
    let colons = 0;
    for (; i < to && bytes[i] !== 93; i++) {
      const c = bytes[i]!;
      if (c === 58) colons++;
      else if (!isHex(c) && c !== 46) return false;
    }
    if (i === to || colons < 2) return false;
    i++; // past "]"
    if (i === to) return true;
    return bytes[i] === 58 && portOk(bytes, i + 1, to);
  }
  for (; i < to; i++) {
    const c = bytes[i]!;
    if (c === 58) return portOk(bytes, i + 1, to);
    if (c === 37) {
      if (i + 2 >= to || !isHex(bytes[i + 1]!) || !isHex(bytes[i + 2]!)) return false;
      i += 2;
    } else if (c >= 128 || REG_NAME[c] !== 1) return false;
  }
  return true;
}

/** {@link authorityOk} of a string (an absolute-form target's authority: rare, so a copy is fine). */
export function authorityTextOk(text: string): boolean {
  const bytes = Buffer.from(text, 'latin1');
  return authorityOk(bytes, 0, bytes.length);
}
