/**
 * Reading the request target out of the URL a server hands over: absolute
 * (`http://host:port/path?query`) on every runtime. No `URL` object is built on
 * the request path: these are index scans.
 * @module
 */

/** Where the path starts: after `scheme://authority`, or at 0 without one; -1 when there is no path. */
export function pathStartOf(url: string): number {
  const schemeEnd = url.indexOf('//');
  return url.indexOf('/', schemeEnd < 0 ? 0 : schemeEnd + 2);
}

/** The path and query of a request URL; `/` when it has none. */
export function requestTarget(url: string): string {
  const pathStart = pathStartOf(url);
  return pathStart < 0 ? '/' : url.slice(pathStart);
}

/**
 * True when the URL's path is under `/function/`: the proxy's requests, which
 * the runtime entries send straight to `Golb.proxy`; anything else (including
 * `/function` alone) goes to Hono.
 */
export function isFunctionPath(url: string): boolean {
  const pathStart = pathStartOf(url);
  return pathStart >= 0 && url.startsWith('/function/', pathStart);
}
