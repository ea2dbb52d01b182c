/**
 * Small HTTP/1.1 syntax checks for the response parser, by char code: no
 * regular expression runs per response.
 * @module
 */

/** 1 for the characters of an HTTP token (RFC 9110 §5.6.2 tchar), by char code. */
export const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** False when a field value (or reason phrase) holds CR, LF or NUL. */
export function fieldValueOk(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) return false;
  }
  return true;
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

/** Removes every `name` pair from a header list, in place. */
export function removeHeader(headers: [string, string][], name: string): void {
  let n = 0;
  for (const pair of headers) if (pair[0] !== name) headers[n++] = pair;
  headers.length = n;
}

/** Parses `1a;ext=1\r\n`; -1 when malformed. Up to 13 hex digits (below 2^53). */
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
  const rest = line.slice(i, -2);
  if (rest !== '' && !/^[ \t]*;/.test(rest)) return -1;
  return n;
}
