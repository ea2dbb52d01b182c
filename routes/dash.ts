/**
 * `GET /1/lb/dash`: the live dashboard (`dash-page.ts`), a self-contained
 * page that polls `/1/lb/stats` every second. Its Content-Security-Policy
 * allows nothing but its own inline style and script and requests to golb.
 * @module
 */
import { Hono } from 'hono';
import { DASH_PAGE } from './dash-page.ts';

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The `/1/lb/dash` route. */
export function dashRoutes(): Hono {
  const routes = new Hono();
  routes.get('/1/lb/dash', () => new Response(DASH_PAGE, { headers: HEADERS }));
  return routes;
}
