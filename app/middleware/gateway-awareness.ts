/**
 * Gateway awareness: how golb tells a request another golb forwarded from a
 * client's, and refuses loops (docs/routing.md, "Gateways in a chain"). This
 * module owns all of it: which addresses are other zones' gateways, the
 * `Via` token each hop appends, the hop limit, and the `X-Golb-Forwarded-By`
 * mark.
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
 * {@link withGatewayAwareness} runs this ahead of the function route and the
 * pool's: it answers a loop itself and hands the route the request with
 * `forwardedBy` set. It runs on every proxied request, so the check scans two
 * header values without splitting them, and allocates nothing.
 * @module
 */
import type { ProxyHandler } from '../client-request.ts';
import type { AppDeps } from '../deps.ts';
import { GatewayError, errorAnswer } from '../errors.ts';
import { parseFunctionTarget } from '../function-name.ts';
import { canonicalAddress } from '../sources/function-value.ts';

/** The request header a forwarding golb sets. */
export const FORWARDED_BY_HEADER = 'x-golb-forwarded-by';

/** What the check decided. */
export type HopVerdict = 'client' | 'forwarded' | 'loop' | 'too_many_hops';

/** The set of other zones' gateways (`eb_go_lb_gateways`), by canonical `host:port` as the weights' `ips` give them. */
export function gatewaySet(addresses: readonly string[]): ReadonlySet<string> {
  return new Set(addresses.map((g) => canonicalAddress(g) ?? g));
}

/** The `Via` token this node appends, `1.1 <node>`. */
export function viaToken(nodeName: string): string {
  return `1.1 ${nodeName}`;
}

/** The `X-Golb-Forwarded-By` value a request sent on to a gateway carries: the one it came with, then this node. */
export function markForwarded(forwardedBy: string | null, nodeName: string): string {
  return forwardedBy === null || forwardedBy === '' ? nodeName : `${forwardedBy}, ${nodeName}`;
}

/** True when `via` holds `node` (lower case) at `at`, letters compared in any case. */
function nodeAt(via: string, at: number, node: string): boolean {
  for (let k = 0; k < node.length; k++) {
    let c = via.charCodeAt(at + k);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== node.charCodeAt(k)) return false;
  }
  return true;
}

/** True when the `Via` value names `node` (lower case) as a received-by (`1.1 node`, any case). No string is made. */
function viaNames(via: string, node: string): boolean {
  for (let i = 0; i + node.length <= via.length; i++) {
    if (!nodeAt(via, i, node)) continue;
    const before = i === 0 ? 32 : via.charCodeAt(i - 1);
    const after = i + node.length >= via.length ? 44 : via.charCodeAt(i + node.length);
    // received-by follows the protocol and a space; it ends at a comma, a space (comment), a tab or the end.
    if (before === 32 && (after === 44 || after === 32 || after === 9)) return true;
  }
  return false;
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

/**
 * `handler` behind the loop check: a request that has come round, or passed
 * `eb_go_lb_max_hops` gateways, is answered 508 `loop_detected` (counted as a
 * refusal of the function it names); any other goes on with `req.forwardedBy`
 * set to its mark when another golb forwarded it, null for a client's.
 */
export function withGatewayAwareness(handler: ProxyHandler, deps: Pick<AppDeps, 'config' | 'logger' | 'observer'>): ProxyHandler {
  const { nodeName, maxHops } = deps.config;
  const node = nodeName.toLowerCase();
  const answer = errorAnswer(deps);
  return function gatewayAware(req, to) {
    const forwardedBy = req.headers.get(FORWARDED_BY_HEADER);
    const hops = checkHops(req.headers.get('via'), forwardedBy, node, maxHops);
    if (hops === 'forwarded') req.forwardedBy = forwardedBy;
    else if (hops !== 'client') {
      const why = hops === 'loop' ? `the request already passed ${nodeName} (Via)` : `the request passed ${maxHops} or more hops (Via)`;
      to.reply(answer(new GatewayError('loop_detected', why, parseFunctionTarget(req.target)?.fn)));
      return;
    }
    handler(req, to);
  };
}
