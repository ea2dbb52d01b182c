// The function route's chain answers alike wherever it is mounted: driven
// in-process through the Hono app (`app.request('/function/f/x')`) and
// through golb's own HTTP/1.1 server on loopback, against one real backend,
// a request gets the same status, body and headers (but the date and the
// timestamp), and the same errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../app/create-app.ts';
import { parseConfig, type Config } from '../../app/config.ts';
import type { AppDeps } from '../../app/deps.ts';
import { silentLogger } from '../../app/logger.ts';
import { MetricsObserver } from '../../app/metrics/observer.ts';
import { nodeTransport } from '../../app/net/node-transport.ts';
import { Http1Client } from '../../app/proxy/http1-client.ts';
import { Http1Server } from '../../app/server/http1-server.ts';
import { parseAddress } from '../../app/sources/function-value.ts';
import type { WeightSource } from '../../app/sources/source.ts';
import { WeightTable } from '../../app/weight-table.ts';
import { functionRoute } from '../../routes/function-route.ts';
import { BackendStates } from '../../strategies/backend-state.ts';
import { startBackend, type Backend } from '../support/harness.ts';
import { rawExchange } from '../support/raw-http.ts';
import { SYSTEM_TIMERS } from '../../app/timers.ts';

let backend: Backend;
let server: Http1Server;
let port: number;
let app: ReturnType<typeof createApp>;
let engine: Http1Client;

before(async () => {
  backend = await startBackend();
  const parsed = parseConfig({ eb_go_lb_node_name: 'edge-1' }, [], 'edge-1');
  const config = (parsed as { config: Config }).config;
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => performance.now() }, states });
  table.set('f', { targets: [{ ...(parseAddress(backend.address) as { address: string; host: string; port: number }), weight: 1 }], strategy: undefined });
  const source: WeightSource = {
    kind: 'embedded', ready: true, refused: 0,
    start: async () => undefined, put: async () => undefined, remove: async () => undefined, close: async () => undefined,
  };
  engine = new Http1Client({ connectTimeoutMs: 2000, responseTimeoutMs: 5000, idleTimeoutMs: 5000, maxIdlePerUpstream: 4, timer: SYSTEM_TIMERS }, nodeTransport);
  const deps: AppDeps = {
    config, table, states, source, engine, logger: silentLogger,
    runtime: { clientAddress: () => '127.0.0.1' },
    observer: new MetricsObserver({ table, now: () => Date.now() }),
    now: () => Date.now(), monotonic: () => performance.now(), timer: SYSTEM_TIMERS,
  };
  // One chain, mounted twice, as `startGolb` does.
  const proxy = functionRoute(deps);
  app = createApp(deps, proxy);
  server = new Http1Server({
    proxy, fetch: app.fetch, idleTimeoutMs: 5000, bodyTimeoutMs: 5000, requestBufferBytes: 64 * 1024,
    onError: () => undefined, origin: { zone: config.zone, node: config.nodeName },
    admission: { admit: () => true, release: () => undefined }, timer: SYSTEM_TIMERS, now: () => Date.now(),
  });
  port = await server.listen(nodeTransport, '127.0.0.1', 0);
});

after(async () => {
  server.destroy();
  engine.close();
  await backend.close();
});

/** What two answers must share: status, body, and the headers but those that differ by time or by how the body was framed. */
function comparable(status: number, headers: [string, string][], body: string) {
  const skip = new Set(['date', 'x-forwarded-host-edge-1', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
  const kept = headers.filter(([name]) => !skip.has(name)).map(([n, v]) => [n, v] as [string, string]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // not JSON: compared as text
  }
  // The backend echoes what it received: the timestamp golb adds differs by the millisecond.
  if (parsed !== null && typeof parsed === 'object' && 'headers' in parsed) delete (parsed as { headers: Record<string, unknown> }).headers['x-forwarded-host-edge-1'];
  return { status, headers: kept, body: parsed };
}

async function both(method: string, target: string, headers: Record<string, string>) {
  const lines = Object.entries({ host: 'gw.example', ...headers }).map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const raw = await rawExchange(port, `${method} ${target} HTTP/1.1\r\n${lines}\r\n`, { head: method === 'HEAD' });
  assert.ok(raw !== undefined, 'the raw server answered');
  const web = await app.request(new Request(`http://gw.example${target}`, { method, headers: { host: 'gw.example', ...headers } }));
  const webBody = await web.text();
  return {
    raw: comparable(raw.status, raw.headers, raw.body.toString('latin1')),
    web: comparable(web.status, [...web.headers], webBody),
  };
}

test('a proxied answer: the same status, body and headers through Hono and through the raw server', async () => {
  const { raw, web } = await both('GET', '/function/f/x?y=1', { 'x-test': 'one' });
  assert.equal(raw.status, 200);
  assert.equal((raw.body as { url: string }).url, '/x?y=1');
  assert.deepEqual(web, raw);
});

test('the errors are the same: unknown function, bad name, a loop through this node, too many hops', async () => {
  const cases: [string, Record<string, string>, number][] = [
    ['/function/nope/x', {}, 404],
    ['/function/-bad/x', {}, 400],
    ['/function/f/x', { via: '1.1 edge-1' }, 508],
    ['/function/f/x', { via: Array.from({ length: 20 }, (_, i) => `1.1 n${i}`).join(', ') }, 508],
  ];
  for (const [target, headers, status] of cases) {
    const { raw, web } = await both('GET', target, headers);
    assert.equal(raw.status, status, `${target} ${JSON.stringify(headers)}`);
    assert.deepEqual(web, raw, `${target} ${JSON.stringify(headers)}`);
  }
});

test('a request another golb forwarded goes through both alike, Via passed on, the mark kept from the pod', async () => {
  const { raw, web } = await both('GET', '/function/f/x', { via: '1.1 edge-0', 'x-golb-forwarded-by': 'edge-0' });
  assert.equal(raw.status, 200);
  const seen = (raw.body as { headers: Record<string, string> }).headers;
  assert.equal(seen['via'], '1.1 edge-0, 1.1 edge-1');
  assert.equal(seen['x-golb-forwarded-by'], undefined, 'only a gateway is sent the mark');
  assert.deepEqual(web, raw);
});

test('a POST body goes through both alike', async () => {
  const { raw, web } = await both('POST', '/function/f/upload', { 'content-length': '0' });
  assert.equal(raw.status, 200);
  assert.deepEqual(web, raw);
});
