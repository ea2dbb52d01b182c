/**
 * The active prober against real loopback HTTP servers through the real
 * engine: one probe per address per round however many functions list it,
 * thresholds, timeouts without overlapping probes, gateways at /healthz, and
 * the address set followed as the table changes. Rounds are driven by hand.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActiveHealth, type ActiveHealthOptions } from '../../../app/health/active.ts';
import { createLogger } from '../../../app/logger.ts';
import { Http1Client } from '../../../app/proxy/http1-client.ts';
import { nodeTransport } from '../../../app/net/node-transport.ts';
import { parseAddress, type FunctionSpec } from '../../../app/sources/function-value.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { BackendStates } from '../../../strategies/backend-state.ts';
import { SYSTEM_TIMERS } from '../../../app/timers.ts';

const engine = new Http1Client({ connectTimeoutMs: 2_000, responseTimeoutMs: 10_000, idleTimeoutMs: 2_000, maxIdlePerUpstream: 4, timer: SYSTEM_TIMERS }, nodeTransport);
const servers: ReturnType<typeof createServer>[] = [];
after(() => {
  engine.close();
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

/** A server answering with `status()`; records every request path. */
async function server(status: () => number | 'hang' | 'endless') {
  const paths: string[] = [];
  const s = createServer((req: IncomingMessage, res: ServerResponse) => {
    paths.push(req.url!);
    const st = status();
    if (st === 'hang') return; // never answers
    if (st === 'endless') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a head, then a body that never ends');
      return;
    }
    res.statusCode = st;
    res.end('ok');
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { paths, address: `127.0.0.1:${(s.address() as AddressInfo).port}` };
}

function spec(addresses: string[]): FunctionSpec {
  return {
    targets: addresses.map((a) => {
      const t = parseAddress(a);
      if (typeof t === 'string') throw new Error(t);
      return { ...t, weight: 1 };
    }),
    strategy: undefined,
  };
}

function setup(gateways: string[] = [], options: Partial<ActiveHealthOptions> = {}) {
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways, deps: { random: () => 0.5, now: () => 0 }, states });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ mode: 'prod', node: 't', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: () => 0 });
  const health = new ActiveHealth({ table, engine, logger, path: '/health', intervalMs: 60_000, timeoutMs: 2_000, unhealthy: 2, healthy: 1, nodeName: 't', ...options });
  return { states, table, health, lines };
}

test('one probe per address per round, however many functions list it', async () => {
  const a = await server(() => 200);
  const b = await server(() => 200);
  const { table, health } = setup();
  table.set('f1', spec([a.address, b.address]));
  table.set('f2', spec([a.address]));
  table.set('f3', spec([b.address, a.address]));
  await health.round();
  await health.round();
  await health.round();
  assert.deepEqual(a.paths, ['/health', '/health', '/health']);
  assert.equal(b.paths.length, 3);
});

test('unhealthy after 2 failures in a row, healthy after 1 success; logged at info', async () => {
  let status = 500;
  const a = await server(() => status);
  const { table, health, states, lines } = setup();
  table.set('f', spec([a.address]));
  const state = states.get(a.address);
  await health.round();
  assert.equal(state.healthy, true, 'one failure is not enough');
  status = 200;
  await health.round();
  status = 503;
  await health.round();
  assert.equal(state.healthy, true, 'a success in between restarts the count');
  await health.round();
  assert.equal(state.healthy, false);
  await health.round();
  assert.equal(state.healthy, false);
  status = 204;
  await health.round();
  assert.equal(state.healthy, true);
  const changes = lines.filter((l) => l.level === 'info').map((l) => [l.msg, l.backend]);
  assert.deepEqual(changes, [
    ['backend failed its health checks: taken out', a.address],
    ['backend passed its health checks: back in', a.address],
  ]);
});

test('thresholds follow the settings', async () => {
  let status = 500;
  const a = await server(() => status);
  const { table, health, states } = setup([], { unhealthy: 3, healthy: 2 });
  table.set('f', spec([a.address]));
  const state = states.get(a.address);
  await health.round();
  await health.round();
  assert.equal(state.healthy, true);
  await health.round();
  assert.equal(state.healthy, false);
  status = 200;
  await health.round();
  assert.equal(state.healthy, false);
  await health.round();
  assert.equal(state.healthy, true);
});

test('a refused connection fails the probe', async () => {
  const gone = await server(() => 200);
  const address = gone.address;
  const s = servers.pop()!;
  await new Promise<void>((r) => s.close(() => r()));
  const { table, health, states } = setup();
  table.set('f', spec([address]));
  await health.round();
  await health.round();
  assert.equal(states.get(address).healthy, false);
});

test('a probe that hangs times out, and the next round does not probe that address again meanwhile', async () => {
  const a = await server(() => 'hang');
  const { table, health, states } = setup([], { timeoutMs: 300 });
  table.set('f', spec([a.address]));
  const first = health.round();
  await new Promise((r) => setTimeout(r, 50));
  const second = health.round(); // the first probe is still running: skipped
  await Promise.all([first, second]);
  assert.equal(a.paths.length, 1);
  await health.round();
  assert.equal(a.paths.length, 2);
  assert.equal(states.get(a.address).healthy, false);
});

test('a 200 whose body never ends fails by the timeout, and the address is probed again next round', async () => {
  const a = await server(() => 'endless');
  const { table, health, states } = setup([], { timeoutMs: 300 });
  table.set('f', spec([a.address]));
  await health.round();
  await health.round();
  assert.equal(a.paths.length, 2);
  assert.equal(states.get(a.address).healthy, false);
});

test('another zone\'s gateway is probed at /healthz', async () => {
  const pod = await server(() => 200);
  const gw = await server(() => 200);
  const { table, health } = setup([gw.address]);
  table.set('f', spec([pod.address, gw.address]));
  await health.round();
  assert.deepEqual(pod.paths, ['/health']);
  assert.deepEqual(gw.paths, ['/healthz']);
});

test('the address set is read from the table at each round', async () => {
  const a = await server(() => 200);
  const b = await server(() => 200);
  const { table, health } = setup();
  table.set('f', spec([a.address]));
  await health.round();
  table.set('g', spec([b.address]));
  table.delete('f');
  await health.round();
  assert.equal(a.paths.length, 1);
  assert.equal(b.paths.length, 1);
});

test('start probes on the interval; close stops it', async () => {
  const a = await server(() => 200);
  const { table, health } = setup([], { intervalMs: 20 });
  table.set('f', spec([a.address]));
  health.start();
  const deadline = Date.now() + 10_000;
  while (a.paths.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  health.close();
  assert.ok(a.paths.length >= 3);
  await new Promise((r) => setTimeout(r, 100));
  const seen = a.paths.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(a.paths.length, seen, 'no probe after close');
});

test('with a body check: a new backend is out until judged, a refusal is out at once, logged once per change', async () => {
  let version = '0.1.0';
  const s = createServer((_req, res) => res.end(JSON.stringify({ version })));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(s.address() as AddressInfo).port}`;
  const check = (body: string) => ((JSON.parse(body) as { version: string }).version >= '1.0.0' ? undefined : `too old: ${body}`);
  const { table, health, states, lines } = setup([], { checkBody: check, unhealthy: 5 });
  table.set('f', spec([address]));
  const state = states.get(address);
  const round = health.round();
  assert.equal(state.healthy, false, 'out before its first answer is judged');
  await round;
  assert.equal(state.healthy, false, 'refused at once, though 5 failures would be needed');
  await health.round();
  version = '0.2.0';
  await health.round();
  version = '1.0.0';
  await health.round();
  assert.equal(state.healthy, true);
  await health.round();
  const said = lines.filter((l) => l.level !== 'debug').map((l) => [l.level, l.msg, l.reason]);
  assert.deepEqual(said, [
    ['warn', 'backend refused: kept out', 'too old: {"version":"0.1.0"}'],
    ['warn', 'backend refused: kept out', 'too old: {"version":"0.2.0"}'],
    ['info', 'backend no longer refused', undefined],
    ['info', 'backend passed its health checks: back in', undefined],
  ]);
});

test('a backend that has never passed a probe is logged at WARN once, after --hc-unhealthy tries, with or without a body check', async () => {
  for (const checkBody of [undefined, () => undefined]) {
    const a = await server(() => 'hang');
    const { table, health, states, lines } = setup([], { timeoutMs: 200, unhealthy: 2, ...(checkBody === undefined ? {} : { checkBody }) });
    table.set('f', spec([a.address]));
    const warned = () => lines.filter((l) => l.level === 'warn');
    await health.round();
    assert.deepEqual(warned(), [], 'one failure is not yet --hc-unhealthy');
    await health.round();
    await health.round();
    await health.round();
    assert.deepEqual(warned().map((l) => [l.msg, l.backend, l.reason, l.path, l.fails]), [
      ['backend has not passed a health check since it was listed: kept out', a.address, 'timed out', '/health', 2],
    ], checkBody === undefined ? 'without a body check' : 'with a body check');
    assert.equal(states.get(a.address).healthy, false);
  }
});

test('a backend that passed once and then fails is taken out at INFO, not warned of as never passed', async () => {
  let status = 200;
  const a = await server(() => status);
  const { table, health, lines } = setup();
  table.set('f', spec([a.address]));
  await health.round();
  status = 500;
  await health.round();
  await health.round();
  assert.deepEqual(lines.filter((l) => l.level !== 'debug').map((l) => l.msg), ['backend failed its health checks: taken out']);
});
