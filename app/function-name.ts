/**
 * The function name grammar, `[A-Za-z0-9][A-Za-z0-9._-]{0,252}` (docs/routing.md),
 * and where a `/function/<fn>/<rest>` target puts the name. Checked with a character loop rather than a regex: it runs on every
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

const PREFIX = '/function/';

/** Where the parts of a `/function/...` URL are. */
export interface FunctionPath {
  fn: string;
  /** Path and query for a pod: the prefix stripped, `/` when empty. */
  podTarget: string;
  /** The original path and query (for gateways). */
  fullTarget: string;
}

/** Where the name of a `/function/<fn>...` target ends: at its first `/` or `?` after the prefix, or at the end. */
function functionNameEnd(url: string): number {
  let end = PREFIX.length;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    end++;
  }
  return end;
}

/**
 * The function a `/function/<fn>/...` target names, as sent (the grammar
 * unchecked: for logs and traces, which escape it), `-` when none.
 */
export function functionName(target: string): string {
  if (!target.startsWith(PREFIX)) return '-';
  const end = functionNameEnd(target);
  return end === PREFIX.length ? '-' : target.slice(PREFIX.length, end);
}

/**
 * Splits a request target (path and query) into function name and targets;
 * `undefined` when it is not under `/function/` or the name breaks the grammar.
 */
export function parseFunctionTarget(url: string): FunctionPath | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const nameStart = PREFIX.length;
  const nameEnd = functionNameEnd(url);
  if (!isFunctionNameAt(url, nameStart, nameEnd)) return undefined;
  const rest = url.slice(nameEnd);
  const podTarget = rest === '' ? '/' : rest.charCodeAt(0) === 63 ? '/' + rest : rest;
  return { fn: url.slice(nameStart, nameEnd), podTarget, fullTarget: url };
}
