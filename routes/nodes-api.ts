/**
 * `/1/lb/nodes`: fnlb's node pool API, as fnlb answers it.
 *
 * - `GET` → `{"nodes": {"<host:port>": "online" | "offline"}}`
 * - `PUT` with `{"node": "<host:port>"}` → `{"msg": "node added"}`
 * - `DELETE` with `{"node": "<host:port>"}` → `{"msg": "node deleted"}` (also
 *   when it was not a member, as fnlb)
 *
 * A body that is not such an object, or a node that is not `host:port`, is a
 * 400 with golb's JSON error. With etcd a change is stored under
 * `golb/nodes/<zone>/<host:port>` and reaches every gateway of the zone;
 * without, it lives in this process. Authorisation is the management
 * router's (`admin-auth.ts`).
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError } from '../app/errors.ts';
import { parseNode, type NodePool } from '../app/pool/node-pool.ts';
import { readBody } from './functions-api.ts';

/** Largest body the API reads. */
const MAX_BODY = 64 * 1024;

/** The node of a `{"node": "host:port"}` body, canonical, or 400. */
export function nodeOfBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError('bad_request', 'body must be JSON: {"node": "<host:port>"}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { node?: unknown }).node !== 'string') {
    throw new GatewayError('bad_request', 'body must be {"node": "<host:port>"}');
  }
  const node = parseNode((body as { node: string }).node);
  if (node === undefined) throw new GatewayError('bad_request', '"node" must be host:port or [v6]:port, with a port from 1 to 65535');
  return node;
}

/** Runs a change against the pool's store; a store that cannot take it is 502. */
async function change(op: () => Promise<void>): Promise<void> {
  try {
    await op();
  } catch (err) {
    throw new GatewayError('upstream_failed', `the node pool could not store the change: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The `/1/lb/nodes` routes. */
export function nodesApi(deps: AppDeps, pool: NodePool): Hono {
  const api = new Hono();
  api.get('/1/lb/nodes', (c) => c.json({ nodes: pool.status(deps.monotonic()) }));
  api.put('/1/lb/nodes', async (c) => {
    const node = nodeOfBody(await readBody(c.req.raw, MAX_BODY));
    await change(() => pool.add(node));
    deps.logger.info('pool node added through the management API', { node, store: pool.kind });
    return c.json({ msg: 'node added' });
  });
  api.delete('/1/lb/nodes', async (c) => {
    const node = nodeOfBody(await readBody(c.req.raw, MAX_BODY));
    await change(() => pool.remove(node));
    deps.logger.info('pool node deleted through the management API', { node, store: pool.kind });
    return c.json({ msg: 'node deleted' });
  });
  return api;
}
