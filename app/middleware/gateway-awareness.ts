/**
 * Gateway awareness: how golb tells a request another golb forwarded from a
 * client's, and refuses loops (docs/routing.md, "Gateways in a chain").
 *
 * A golb that forwards to another zone's gateway marks the request with
 * `X-Golb-Forwarded-By: <node>` (appended, comma separated). Only that mark
 * makes a request "forwarded": `X-Forwarded-For`, which any ingress sets, does
 * not. A forwarded request is routed to pods only, so it crosses at most one
 * zone boundary. A client can set the mark too; that only narrows its own
 * choice to pods, it cannot widen anything.
 *
 * Loops: every hop appends `Via: 1.1 <node>` (RFC 9110 §7.6.3). A request whose
 * `Via` already names this node has come round (508, RFC 5842), as has one
 * whose `Via` lists `maxHops` entries or more.
 *
 * This runs on every proxied request, so it is a pure function over two header
 * values, called by the route, scanning strings without splitting them.
 * @module
 */

/** The request header a forwarding golb sets. */
export const FORWARDED_BY_HEADER = 'x-golb-forwarded-by';

/** What the check decided. */
export type HopVerdict = 'client' | 'forwarded' | 'loop' | 'too_many_hops';

/** True when the `Via` value names `node` as a received-by (`1.1 node`, any case). */
function viaNames(via: string, node: string): boolean {
  const lower = via.toLowerCase();
  let from = 0;
  for (;;) {
    const i = lower.indexOf(node, from);
    if (i < 0) return false;
    const before = i === 0 ? ' ' : lower[i - 1]!;
    const after = i + node.length >= lower.length ? ',' : lower[i + node.length]!;
    // received-by follows the protocol and a space; it ends at a comma, a space (comment) or the end.
    if (before === ' ' && (after === ',' || after === ' ' || after === '\t')) return true;
    from = i + 1;
  }
}

/** Number of entries in a `Via` value. */
function viaEntries(via: string): number {
  let n = 1;
  for (let i = 0; i < via.length; i++) if (via.charCodeAt(i) === 44) n++;
  return n;
}

/**
 * Decides how to route a request from its `Via` and `X-Golb-Forwarded-By`.
 * @param node this gateway's name, lower case
 */
export function checkHops(via: string | null, forwardedBy: string | null, node: string, maxHops: number): HopVerdict {
  if (via !== null && via !== '') {
    if (viaNames(via, node)) return 'loop';
    if (viaEntries(via) >= maxHops) return 'too_many_hops';
  }
  return forwardedBy !== null && forwardedBy !== '' ? 'forwarded' : 'client';
}
