/**
 * Management reads cost a bounded amount: `/1/lb/stats`, `/metrics` and
 * `/1/lb/functions` polled in a loop are built once per second (counted as
 * walks of the weights table, on an injected clock), every reader gets the
 * same bytes, a write shows at once in `/1/lb/functions`, and the stats list
 * at most so many backends per function unless asked for one function.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManagementApp } from '../../app/create-app.ts';
import { MANAGEMENT_READ_INTERVAL_MS } from '../../app/answer-cache.ts';
import { parseConfig, type Config } from '../../app/config.ts';
import type { AppDeps } from '../../app/deps.ts';
import { silentLogger } from '../../app/logger.ts';
import { MetricsObserver } from '../../app/metrics/observer.ts';
import type { ProxyEngine } from '../../app/proxy/engine.ts';
import { parseAddress, type FunctionSpec } from '../../app/sources/function-value.ts';
import type { WeightSource } from '../../app/sources/source.ts';
import { WeightTable } from '../../app/weight-table.ts';
import { STATS_MAX_BACKENDS } from '../../routes/stats.ts';
import { BackendStates } from '../../strategies/backend-state.ts';
import { SYSTEM_TIMERS } from '../../app/timers.ts';

const TOKEN = 'reads-test-token';

function spec(addresses: string[]): FunctionSpec {
  return { targets: addresses.map((a) => ({ ...(parseAddress(a) as { address: string; host: string; port: number }), weight: 1 })), strategy: undefined };
}

/** golb's management app over an in-memory table whose source applies writes at once (as the weights file does). */
function fixture() {
  let wall = Date.UTC(2026, 0, 1, 12, 0, 0, 500);
  let monotonic = 50_000;
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => monotonic }, states });
  table.set('hello', spec(['10.0.0.1:80', '10.0.0.2:80']));
  table.set('big', spec(Array.from({ length: 250 }, (_, i) => `10.1.${i >> 8}.${i & 255}:8080`)));
  // Every build of a listing walks the table once: the count of builds.
  let walks = 0;
  const names = table.names.bind(table);
  table.names = () => {
    walks++;
    return names();
  };
  const source: WeightSource = {
    kind: 'embedded',
    ready: true,
    refused: 0,
    start: async () => undefined,
    put: async (fn, value) => void table.set(fn, value),
    remove: async (fn) => void table.delete(fn),
    close: async () => undefined,
  };
  const parsed = parseConfig({ eb_go_lb_node_name: 'edge-1', eb_go_lb_admin_token: TOKEN }, [], 'edge-1');
  const config = (parsed as { config: Config }).config;
  const observer = new MetricsObserver({ table, now: () => wall });
  const engine: ProxyEngine = { send: () => assert.fail('no proxying here'), request: () => assert.fail('no proxying here'), close: () => undefined };
  const deps: AppDeps = { config, table, states, source, engine, logger: silentLogger, runtime: { clientAddress: () => '127.0.0.1' }, observer, now: () => wall, monotonic: () => monotonic, timer: SYSTEM_TIMERS };
  const app = createManagementApp(deps);
  return {
    app,
    table,
    states,
    observer,
    get: (path: string) => app.request(path),
    walks: () => walks,
    advance: (ms: number) => {
      wall += ms;
      monotonic += ms;
    },
  };
}

/** The first chunk of a body: the shared answer itself when the route shares one. */
async function firstChunk(res: Response): Promise<Uint8Array | undefined> {
  return (await res.body!.getReader().read()).value;
}

test('/1/lb/stats polled within a second is built once, whatever `since` each poller sends; the next second builds again', async () => {
  const f = fixture();
  f.observer.response('hello', '10.0.0.1:80', 200, 4);
  const first = await f.get('/1/lb/stats');
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'application/json');
  const body = await first.text();
  for (let i = 0; i < 50; i++) assert.equal(await (await f.get('/1/lb/stats')).text(), body);
  const second = Math.floor(Date.UTC(2026, 0, 1, 12, 0, 0) / 1000);
  for (const since of [0, second - 30, second, second + 1, second + 99, 1]) assert.equal((await f.get(`/1/lb/stats?since=${since}`)).status, 200);
  assert.equal(f.walks(), 1, 'one build for all of them');
  assert.deepEqual(JSON.parse(body).stats.map((s: { tp: number }) => s.tp), [1]);
  assert.deepEqual((await (await f.get(`/1/lb/stats?since=${second + 1}`)).json()).stats, []);

  // What arrives within the second shows from the next one on.
  f.observer.response('hello', '10.0.0.1:80', 200, 4);
  assert.equal(await (await f.get('/1/lb/stats')).text(), body);
  f.advance(MANAGEMENT_READ_INTERVAL_MS);
  const next = await (await f.get('/1/lb/stats')).json();
  assert.equal(f.walks(), 2);
  assert.equal(next.functions.find((x: { func: string }) => x.func === 'hello').requests, 2);
  assert.equal((await f.get('/1/lb/stats?since=yesterday')).status, 400);
});

test('every reader of an answer gets the same bytes; a slow reader keeps them while the next second is built', async () => {
  const f = fixture();
  for (const path of ['/1/lb/stats', '/1/lb/stats?since=1', '/1/lb/stats?function=big', '/metrics', '/1/lb/functions', '/1/lb/functions/big']) {
    const [a, b] = [await f.get(path), await f.get(path)];
    const chunk = await firstChunk(a);
    assert.ok(chunk !== undefined && chunk.length > 0, path);
    assert.equal(await firstChunk(b), chunk, `${path}: one buffer, not a copy per reader`);
  }
  const slow = await f.get('/metrics');
  const walks = f.walks();
  f.advance(MANAGEMENT_READ_INTERVAL_MS);
  await (await f.get('/metrics')).text();
  assert.equal(f.walks(), walks + 1);
  assert.match(await slow.text(), /^# HELP golb_requests_total /, 'the slow reader still reads its answer whole');
});

test('/metrics scraped within a second is rendered once; still the exposition format', async () => {
  const f = fixture();
  f.observer.response('hello', '10.0.0.1:80', 200, 4);
  const res = await f.get('/metrics');
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  for (let i = 0; i < 20; i++) assert.equal(await (await f.get('/metrics')).text(), text);
  assert.equal(f.walks(), 1);
  assert.match(text, /^golb_requests_total\{function="hello",backend="10\.0\.0\.1:80",code="2xx"\} 1$/m);
  assert.match(text, /^golb_backend_weight\{function="big",backend="10\.1\.0\.249:8080"\} 1$/m);
  for (const line of text.split('\n').filter(Boolean)) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? \S+)$/, line);
  f.advance(MANAGEMENT_READ_INTERVAL_MS);
  await (await f.get('/metrics')).text();
  assert.equal(f.walks(), 2);
});

test('/1/lb/functions is built once between writes; a PUT or DELETE shows at once', async () => {
  const f = fixture();
  const list = async () => Object.keys((await (await f.get('/1/lb/functions')).json()).functions);
  assert.deepEqual(await list(), ['big', 'hello']);
  assert.deepEqual(await list(), ['big', 'hello']);
  assert.equal(f.walks(), 1);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const put = await f.app.request('/1/lb/functions/fresh', { method: 'PUT', headers: auth, body: JSON.stringify({ ips: ['10.0.0.9:80'], weights: [2] }) });
  assert.equal(put.status, 200);
  assert.deepEqual(await list(), ['big', 'fresh', 'hello'], 'the write shows within the same second');
  assert.equal((await (await f.get('/1/lb/functions/fresh')).json()).value.weights[0], 2);
  await f.app.request('/1/lb/functions/fresh', { method: 'PUT', headers: auth, body: JSON.stringify({ ips: ['10.0.0.9:80'], weights: [5] }) });
  assert.equal((await (await f.get('/1/lb/functions/fresh')).json()).value.weights[0], 5, 'one function too');
  assert.equal((await f.app.request('/1/lb/functions/fresh', { method: 'DELETE', headers: auth })).status, 200);
  assert.deepEqual(await list(), ['big', 'hello']);
  assert.equal((await f.get('/1/lb/functions/fresh')).status, 404);
});

test('the stats list at most STATS_MAX_BACKENDS backends per function, with totals; ?function= lists one function whole', async () => {
  const f = fixture();
  const big = f.table.get('big')!;
  f.states.get(big.backends[0]!.address).healthy = false;
  f.states.get(big.backends[200]!.address).healthy = false;
  f.observer.response('big', big.backends[200]!.address, 200, 3);
  f.observer.response('hello', '10.0.0.2:80', 200, 3);
  const all = await (await f.get('/1/lb/stats')).json();
  const summary = all.functions.find((x: { func: string }) => x.func === 'big');
  assert.equal(summary.backends.length, STATS_MAX_BACKENDS);
  assert.deepEqual([summary.backendsTotal, summary.backendsUp, summary.truncated], [250, 248, true]);
  assert.equal(summary.requests, 1, "the function's figures cover the backends not listed");
  assert.equal(all.stats.length, 2, 'every entry of the minute');
  const hello = all.functions.find((x: { func: string }) => x.func === 'hello');
  assert.deepEqual([hello.backends.length, hello.backendsTotal, hello.backendsUp, hello.truncated], [2, 2, 2, false]);

  const one = await (await f.get('/1/lb/stats?function=big')).json();
  assert.deepEqual(one.functions.map((x: { func: string }) => x.func), ['big']);
  assert.equal(one.functions[0].backends.length, 250);
  assert.equal(one.functions[0].truncated, false);
  assert.deepEqual(one.stats.map((s: { func: string }) => s.func), ['big']);
  assert.equal((await f.get('/1/lb/stats?function=nope')).status, 404);
  assert.equal((await f.get('/1/lb/stats?function=..')).status, 400);
  for (let i = 0; i < 10; i++) await (await f.get('/1/lb/stats?function=big')).text();
  assert.equal(f.walks(), 1, 'a view of one function does not walk the table; it too is built once');
});
