/**
 * Reading the request target out of the URL of a web `Request` (absolute:
 * `http://host:port/path?query`), for the routes Hono serves. No `URL` object is built on
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
