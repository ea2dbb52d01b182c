/**
 * Between golb's server and the web app (Hono): where a request the function
 * route does not take goes ({@link webRoute}), which Host may skip the URL
 * parser, and the request as a web `Request`.
 * @module
 */
import { isIPv4Address } from '../ip-address.ts';
import type { ServerRequest } from './request-body.ts';
import type { JsonAnswer } from './http1-server.ts';

const HOST_LABEL = /^[A-Za-z0-9-]{1,63}$/;

/**
 * True when `host` (a Host header; none means `localhost`) certainly forms a
 * URL: a dotted IPv4 address or a host name whose last label starts with a
 * letter (a name ending in a number is read as IPv4), no punycode label, and
 * an optional port up to 65535. Anything else may still form one; the web
 * path decides (`webRequest`), as the URL parser costs memory the probes need not.
 */
export function isPlainHost(host: string | null): boolean {
  if (host === null) return true;
  const colon = host.lastIndexOf(':');
  const name = colon < 0 ? host : host.slice(0, colon);
  if (colon >= 0) {
    const port = host.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return false;
  }
  if (isIPv4Address(name)) return true;
  const labels = name.split('.');
  const last = labels[labels.length - 1]!;
  if (!/^[A-Za-z]/.test(last)) return false;
  return labels.every((label) => HOST_LABEL.test(label) && !/^xn--/i.test(label));
}

/**
 * The request as a web `Request` for the web app, with the method as
 * received. A method is case-sensitive (RFC 9110 §9.1), but `Request`
 * upper-cases `delete`, `get`, `head`, `options`, `post` and `put` in any case
 * (Fetch's normalization), Bun's makes a method it does not know `GET`, and
 * every runtime refuses `TRACE`, `TRACK` and a body on a `get`: so the object
 * is made as a plain `GET` or `POST` and the method received is set on it, so
 * Hono routes by it and the node pool forwards it as it came.
 */
export function webRequest(req: ServerRequest): Request {
  // The parser checked both to be host[:port]: neither can move the path (RFC 9112 §3.2.2: absolute-form's authority wins).
  const host = req.head.authority || req.headers.get('host') || 'localhost';
  const target = req.target === '*' ? '/' : req.target;
  const method = req.method;
  const body = method === 'GET' || method === 'HEAD' ? null : req.body;
  const init: RequestInit & { duplex?: 'half' } = { method: body === null ? 'GET' : 'POST', headers: req.headers.pairs, body };
  if (body !== null) init.duplex = 'half';
  const web = new Request(`http://${host}${target}`, init);
  if (web.method !== method) Object.defineProperty(web, 'method', { value: method });
  return web;
}

/**
 * True when the path of `target` (before any query) is the path the web app's
 * URL will have: no backslash and no `.` or `..` segment, plain or
 * percent-encoded. The WHATWG URL parser resolves both (`/x/../metrics` and
 * `/x\\..\\metrics` become `/metrics`), so such a path would be routed
 * elsewhere than a rule in front of golb read it; it is refused instead.
 */
export function plainPath(target: string): boolean {
  let end = target.indexOf('?');
  if (end < 0) end = target.length;
  let segment = 0; // where the current segment starts
  for (let i = 0; i <= end; i++) {
    const c = i < end ? target.charCodeAt(i) : 47;
    if (c === 92) return false;
    if (c !== 47) continue;
    const dots = dotCount(target, segment, i);
    if (dots === 1 || dots === 2) return false;
    segment = i + 1;
  }
  return true;
}

/** 1 or 2 when `text[from, to)` is `.` or `..` (a dot plain or as `%2e`), else 0. */
function dotCount(text: string, from: number, to: number): number {
  let dots = 0;
  for (let i = from; i < to; dots++) {
    if (text.charCodeAt(i) === 46) i++;
    else if (text.charCodeAt(i) === 37 && text.charCodeAt(i + 1) === 50 && (text.charCodeAt(i + 2) | 32) === 101) i += 3;
    else return 0;
    if (dots > 2) return 0;
  }
  return dots;
}

/**
 * Where golb's server sends a request the function route does not take: a
 * probe's answer (`direct`, written by the server itself, when its Host
 * certainly forms a URL), the reason of a 400 refusal, or the web `Request`
 * the app answers.
 */
export function webRoute(req: ServerRequest, direct: ((method: string, target: string) => JsonAnswer | undefined) | undefined): JsonAnswer | string | Request {
  const answer = direct?.(req.method, req.target);
  // A Host that may not form a URL goes the web way, which refuses it with 400.
  if (answer !== undefined && isPlainHost(req.headers.get('host'))) return answer;
  // The URL parser would resolve it into another path than the one an ingress rule saw.
  if (!plainPath(req.target)) return 'dot segments or backslashes in the path';
  try {
    return webRequest(req);
  } catch {
    // A Host (or target) no URL can be made of: the client's fault, not golb's.
    return 'the Host header and request target do not form a URL';
  }
}
