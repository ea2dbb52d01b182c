/**
 * golb as fnlb, end to end: fnlb's command line (`--listen`, `--nodes`,
 * `--hc-*`), its `/1/lb/nodes` API as its README drives it (with golb's admin
 * token), Fn-style paths (`/r/<app>/<route>`) kept on one node by consistent
 * hashing, functions without weights served by the pool, health checks taking
 * a failing node out; and with etcd, two gateways of a zone sharing one pool.
 * Real backends count what reaches them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { sharedEtcd, uniqueZone } from '../support/etcd-harness.ts';
import { waitUntil } from '../support/wait.ts';

const TOKEN = 'fnlb-migration-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const FOLLOW_MS = 10_000;

async function nodes(url: string): Promise<Record<string, string>> {
  const r = await fetch(`${url}/1/lb/nodes`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { nodes: Record<string, string> }).nodes;
}

async function nodeCall(url: string, method: 'PUT' | 'DELETE', node: string, headers: Record<string, string> = auth): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${url}/1/lb/nodes`, { method, headers, body: JSON.stringify({ node }) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** The requests (not health probes) a backend saw for `path`. */
const hits = (b: Backend, path: string) => b.seen.filter((s) => s.url === path).length;

/** GETs `path` through golb; the port of the node that answered. */
async function call(url: string, path: string): Promise<number> {
  const r = await fetch(`${url}${path}`);
  const body = (await r.json()) as { port?: number; url?: string };
  assert.equal(r.status, 200, JSON.stringify(body));
  return body.port!;
}

let n1: Backend;
let n2: Backend;
let n3: Backend;
let failVersion = false;
before(async () => {
  [n1, n2, n3] = await Promise.all([startBackend(), startBackend(), startBackend()]);
  // n3 fails its health checks while failVersion is set.
  n3.server.removeAllListeners('request');
  n3.server.on('request', (req, res) => {
    n3.seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, bodyLength: 0 });
    req.resume();
    res.statusCode = failVersion && req.url === '/version' ? 503 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ port: n3.port, url: req.url }));
  });
});
after(async () => {
  await Promise.all([n1.close(), n2.close(), n3.close()]);
});

for (const runtime of RUNTIMES) {
  describe(`fnlb's command line and /1/lb/nodes on ${runtime}`, () => {
    let golb: GolbProcess;
    before(async () => {
      failVersion = false;
      const port = await freePort();
      golb = await startGolb(runtime, {
        port,
        args: ['--listen', `127.0.0.1:${port}`, '--nodes', `${n1.address},${n2.address}`, '--hc-interval', '0.2', '--hc-unhealthy', '2', '--hc-timeout', '2', '--access-log'],
        env: { eb_go_lb_admin_token: TOKEN },
      });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
    });

    test('GET /1/lb/nodes lists the --nodes, online', async () => {
      assert.deepEqual(await nodes(golb.url), { [n1.address]: 'online', [n2.address]: 'online' });
      assert.doesNotMatch(golb.output(), /not in effect/);
    });

    test('an Fn path always reaches the same node, with its path and query untouched', async () => {
      const path = `/r/myapp/hello-${runtime}?x=1`;
      const before1 = hits(n1, path);
      const before2 = hits(n2, path);
      const ports = new Set<number>();
      for (let i = 0; i < 20; i++) ports.add(await call(golb.url, path));
      assert.equal(ports.size, 1, 'one node for one path');
      const counts = [hits(n1, path) - before1, hits(n2, path) - before2].sort();
      assert.deepEqual(counts, [0, 20], 'all 20 at one backend, as it received them');
      const node = [...ports][0] === n1.port ? n1 : n2;
      const logged = golb.output().split('\n').filter((l) => / access /.test(l) && l.includes(`/r/myapp/hello-${runtime}?x=1`));
      assert.equal(logged.length, 20, 'the access log has the pool requests too');
      assert.match(logged[0]!, new RegExp(`backend=${node.address}.*status=200`));
      // Many paths spread over both nodes.
      const spread = new Set<number>();
      for (let i = 0; i < 40; i++) spread.add(await call(golb.url, `/v1/apps/app-${i}`));
      assert.deepEqual([...spread].sort(), [n1.port, n2.port].sort());
    });

    test('a function without weights goes to the pool with its original path', async () => {
      const path = `/function/no-weights-${runtime}/x?y=2`;
      const port = await call(golb.url, path);
      const node = port === n1.port ? n1 : n2;
      assert.equal(hits(node, path), 1);
      assert.equal((await fetch(`${golb.url}/1/lb/elsewhere`)).status, 404, "golb's own paths never go to the pool");
      const metrics = await (await fetch(`${golb.url}/metrics`)).text();
      assert.doesNotMatch(metrics, new RegExp(`function="no-weights-${runtime}"`), 'names a client chose never become series');
      assert.match(metrics, /golb_requests_total\{function="_pool",/);
      assert.match(metrics, new RegExp(`golb_pool_node_up\\{node="${n1.address}"\\} 1\n`), "the pool's nodes and their health are in /metrics");
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      if (promtool.error === undefined) assert.equal(promtool.status, 0, promtool.stdout + promtool.stderr);
    });

    test("fnlb's README commands, with the token: add a node, list, delete one", async () => {
      const refused = await nodeCall(golb.url, 'PUT', n3.address, {});
      assert.equal(refused.status, 401);
      assert.equal((await nodeCall(golb.url, 'PUT', n3.address, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await nodes(golb.url))[n3.address], undefined, 'a refused write changes nothing');

      assert.deepEqual(await nodeCall(golb.url, 'PUT', n3.address), { status: 200, body: { msg: 'node added' } });
      assert.deepEqual(await nodes(golb.url), { [n1.address]: 'online', [n2.address]: 'online', [n3.address]: 'online' });

      for (const bad of ['no-port', 'http://127.0.0.1:1', '']) assert.equal((await nodeCall(golb.url, 'PUT', bad)).status, 400, bad);
      const notJson = await fetch(`${golb.url}/1/lb/nodes`, { method: 'PUT', headers: auth, body: '{"node":' });
      assert.equal(notJson.status, 400);
      assert.equal(((await notJson.json()) as { error: string }).error, 'bad_request');

      assert.deepEqual(await nodeCall(golb.url, 'DELETE', n1.address), { status: 200, body: { msg: 'node deleted' } });
      assert.deepEqual(Object.keys(await nodes(golb.url)).sort(), [n2.address, n3.address].sort());
      const traffic = (b: Backend) => b.seen.filter((s) => s.url !== '/version').length;
      const before1 = traffic(n1);
      for (let i = 0; i < 30; i++) assert.notEqual(await call(golb.url, `/r/after-delete/${i}`), n1.port);
      assert.equal(traffic(n1), before1, 'a deleted node gets nothing');
      assert.deepEqual(await nodeCall(golb.url, 'PUT', n1.address), { status: 200, body: { msg: 'node added' } });
    });

    test('a node failing its /version probes goes offline and gets no traffic, then comes back', async () => {
      await waitUntil('n3 probed at /version', FOLLOW_MS, () => (hits(n3, '/version') > 0 ? true : undefined));
      failVersion = true;
      await waitUntil('n3 offline', FOLLOW_MS, async () => ((await nodes(golb.url))[n3.address] === 'offline' ? true : undefined));
      const before3 = n3.seen.filter((s) => s.url !== '/version').length;
      for (let i = 0; i < 30; i++) assert.notEqual(await call(golb.url, `/r/while-down/${i}`), n3.port);
      assert.equal(n3.seen.filter((s) => s.url !== '/version').length, before3);
      failVersion = false;
      await waitUntil('n3 online again', FOLLOW_MS, async () => ((await nodes(golb.url))[n3.address] === 'online' ? true : undefined));
    });
  });
}

describe('two gateways of a zone share one pool through etcd', () => {
  let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
  let g1: GolbProcess;
  let g2: GolbProcess;
  const zone = uniqueZone('fnlb');
  before(async () => {
    etcd = await sharedEtcd();
    const env = { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone, eb_go_lb_admin_token: TOKEN };
    // g1 brings n1 with --nodes; g2 starts with none of its own. Two runtimes, one pool.
    g1 = await startGolb('bun', { env, args: ['--nodes', n1.address] });
    g2 = await startGolb('deno', { env });
  });
  after(async () => {
    await Promise.all([g1.stop(), g2.stop()]);
    await etcd.release();
  });

  test("--nodes join the zone's pool in etcd", async () => {
    await waitUntil('g2 sees n1', FOLLOW_MS, async () => ((await nodes(g2.url))[n1.address] !== undefined ? true : undefined));
    assert.equal((await etcd.etcdctl(['get', '--print-value-only', `golb/nodes/${zone}/${n1.address}`])).trim(), n1.address);
  });

  test('a node added through one gateway is served by the other', async () => {
    assert.deepEqual(await nodeCall(g1.url, 'PUT', n2.address), { status: 200, body: { msg: 'node added' } });
    await waitUntil('g2 sees n2', FOLLOW_MS, async () => ((await nodes(g2.url))[n2.address] !== undefined ? true : undefined));
    assert.deepEqual(Object.keys(await nodes(g2.url)).sort(), [n1.address, n2.address].sort());
    const ports = new Set<number>();
    for (let i = 0; i < 40; i++) ports.add(await call(g2.url, `/r/shared/${i}`));
    assert.deepEqual([...ports].sort(), [n1.port, n2.port].sort());

    assert.deepEqual(await nodeCall(g2.url, 'DELETE', n1.address), { status: 200, body: { msg: 'node deleted' } });
    await waitUntil('g1 drops n1', FOLLOW_MS, async () => ((await nodes(g1.url))[n1.address] === undefined ? true : undefined));
    assert.equal((await etcd.etcdctl(['get', '--keys-only', '--prefix', `golb/nodes/${zone}/`])).trim(), `golb/nodes/${zone}/${n2.address}`);
  });
});
