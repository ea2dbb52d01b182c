/**
 * Small HTTP/1.1 syntax checks for the response and request parsers, by char
 * code: no regular expression runs per response, and none per request head.
 * @module
 */

/** 1 for the characters of an HTTP token (RFC 9110 §5.6.2 tchar), by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** True for a token character (of a header name or a method), by char code or byte. */
export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** A Content-Length value: 1 to 15 decimal digits; -1 otherwise. */
export function digits(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Parses `1a;ext=1\r\n`; -1 when malformed. Up to 13 hex digits (below 2^53).
 * The extensions are ignored, but must be well-formed, without whitespace
 * (the BWS RFC 9112 §7.1.1 allows, which Node's llhttp refuses): a parser
 * behind golb may read a line golb took apart differently.
 */
export function parseChunkSize(line: string): number {
  let i = 0;
  let n = 0;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) break;
    if (i >= 13) return -1;
    n = n * 16 + d;
  }
  if (i === 0) return -1;
  return chunkExtensionsOk(line, i, line.length - 2) ? n : -1;
}

/** True when `line[from, to)` is `*( ";" token [ "=" ( token / quoted-string ) ] )`, nothing else. */
export function chunkExtensionsOk(line: string, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    if (line.charCodeAt(i) !== 59) return false; // ;
    const name = ++i;
    while (i < to && isTchar(line.charCodeAt(i))) i++;
    if (i === name) return false;
    if (i === to || line.charCodeAt(i) !== 61) continue; // =
    i++;
    if (line.charCodeAt(i) === 34) {
      i = quotedEnd(line, i, to);
      if (i < 0) return false;
    } else {
      const value = i;
      while (i < to && isTchar(line.charCodeAt(i))) i++;
      if (i === value) return false;
    }
  }
  return true;
}

/** Where the quoted-string opening at `line[from]` ends (after its closing quote), or -1 (RFC 9110 §5.6.4). */
function quotedEnd(line: string, from: number, to: number): number {
  for (let i = from + 1; i < to; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      // quoted-pair: HTAB, SP, VCHAR or obs-text after the backslash.
      const q = line.charCodeAt(++i);
      if (!(q === 9 || (q >= 32 && q !== 127 && q <= 255)) || i >= to) return -1;
    } else if (!(c === 9 || (c >= 32 && c !== 127 && c <= 255))) return -1;
  }
  return -1;
}

/** True when `buf[from, to)` holds an HTAB. */
export function hasHtab(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === 9) return true;
  return false;
}

/**
 * True when the trailer line `text[0, eol)` is a well-formed `name: value`
 * field that may come after a body: not one that frames a message or governs
 * the connection (Content-Length, Transfer-Encoding, Connection; RFC 9110
 * §6.5.1), which llhttp acts on where golb would drop it.
 */
export function trailerFieldOk(text: string, eol: number): boolean {
  let colon = 0;
  for (; colon < eol; colon++) {
    const c = text.charCodeAt(colon);
    if (c === 58) break;
    if (!isTchar(c)) return false;
  }
  if (colon === 0 || colon === eol) return false;
  if (sameTokenAt(text, 0, colon, 'content-length') || sameTokenAt(text, 0, colon, 'transfer-encoding') || sameTokenAt(text, 0, colon, 'connection')) return false;
  return fieldContentOk(text, colon + 1, eol);
}

/** The blank line that ends a head, as bytes: `Buffer.indexOf` with a byte needle is the runtime's fast search (a string needle is converted on every call). */
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** {@link headEnd} by `Buffer.indexOf`: native on Bun and Node. */
export function headEndBySearch(buf: Buffer, from: number): number {
  return buf.indexOf(CRLFCRLF, from);
}

/** {@link headEnd} by a loop over the bytes. */
export function headEndByLoop(buf: Buffer, from: number): number {
  const n = buf.length;
  for (let i = from + 3; i < n; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i - 3;
  }
  return -1;
}

/**
 * Where the CRLFCRLF that ends a head starts in `buf`, searching from `from`;
 * -1 when none. Deno's `Buffer.indexOf` is written in JavaScript over generic
 * paths and is about three times slower than the loop on a short head, while
 * on Bun the native search wins and on Node the two are even
 * (docs/performance.md has the figures).
 */
export const headEnd: (buf: Buffer, from: number) => number = 'Deno' in globalThis ? headEndByLoop : headEndBySearch;

/** True for SP and HTAB, the optional whitespace (OWS) around field values and list elements (RFC 9110 §5.6.3). */
export function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Strict field-content check for request heads (RFC 9110 §5.5): false when the
 * range holds a control character other than HTAB (NUL, CR, LF, DEL...).
 * obs-text (0x80 and above) passes.
 */
export function fieldContentOk(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/** True when `text[from, to)` is `lower` (a lower-case token), ignoring ASCII case. */
export function sameTokenAt(text: string, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = text.charCodeAt(from + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * True when the comma-separated list `list` (a field value such as Connection's)
 * holds the element `lower`, ignoring ASCII case and the OWS around elements.
 * Allocates nothing.
 */
export function listHasToken(list: string, lower: string): boolean {
  let start = 0;
  for (;;) {
    let end = list.indexOf(',', start);
    if (end < 0) end = list.length;
    let a = start;
    let b = end;
    while (a < b && isOws(list.charCodeAt(a))) a++;
    while (b > a && isOws(list.charCodeAt(b - 1))) b--;
    if (sameTokenAt(list, a, b, lower)) return true;
    if (end === list.length) return false;
    start = end + 1;
  }
}

/**
 * True when `buf[from, to)` is `lower` (lower-case letters, digits, `-` and
 * other token or phrase characters), ASCII letters compared ignoring case.
 * No string is made of the bytes.
 */
export function bytesAre(buf: Uint8Array, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = buf[from + i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** True when `buf[from, to)` holds exactly the characters of `text` (one byte each). */
export function sameBytes(buf: Uint8Array, from: number, to: number, text: string): boolean {
  if (to - from !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The first index in `buf[from, to)` past its leading OWS (SP, HTAB); `to` when all of it is OWS. */
export function skipOws(buf: Uint8Array, from: number, to: number): number {
  while (from < to && isOws(buf[from]!)) from++;
  return from;
}

/** The end of `buf[from, to)` once its trailing OWS is dropped (at least `from`). */
export function dropOws(buf: Uint8Array, from: number, to: number): number {
  while (to > from && isOws(buf[to - 1]!)) to--;
  return to;
}

/** Writes `text` into `buf` at `at`, one byte per character (latin1, as header values are); returns the offset after it. */
export function putLatin1(buf: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/**
 * Copies `src[from, to)` into `dst` at `at`; returns the offset after it. A
 * short range is copied in a loop, a long one by the runtime: a header line
 * costs less to copy than a call into native code.
 */
export function putBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, to: number): number {
  if (to - from > 64) {
    dst.set(from === 0 && to === src.length ? src : src.subarray(from, to), at);
    return at + to - from;
  }
  for (let i = from; i < to; i++) dst[at++] = src[i]!;
  return at;
}

/** One chunk of the chunked transfer coding in one buffer: size line, `data`, CRLF (for one write). */
export function chunkBytes(data: Uint8Array): Buffer {
  const size = data.length.toString(16);
  const chunk = Buffer.allocUnsafe(size.length + 2 + data.length + 2);
  let at = putLatin1(chunk, 0, size);
  chunk[at++] = 13;
  chunk[at++] = 10;
  chunk.set(data, at);
  at += data.length;
  chunk[at++] = 13;
  chunk[at] = 10;
  return chunk;
}
