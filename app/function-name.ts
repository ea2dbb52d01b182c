/**
 * The function name grammar, `[A-Za-z0-9][A-Za-z0-9._-]{0,252}` (docs/routing.md). Checked with a character loop rather than a regex: it runs on every
 * proxied request, on the raw (undecoded) path, so `%2f` or `%2e` can never
 * slip in as a `/` or `.` after decoding.
 * @module
 */

/** Longest function name. */
export const MAX_FUNCTION_NAME = 253;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True when `s.slice(start, end)` is a valid function name. */
export function isFunctionNameAt(s: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 1 || len > MAX_FUNCTION_NAME) return false;
  if (!isAlnum(s.charCodeAt(start))) return false;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 46 && c !== 95 && c !== 45) return false; // . _ -
  }
  return true;
}

/** True when `s` is a valid function name. */
export function isFunctionName(s: string): boolean {
  return isFunctionNameAt(s, 0, s.length);
}
