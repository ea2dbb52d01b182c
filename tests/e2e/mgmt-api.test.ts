/**
 * The management API end to end on Bun, Deno and Node: `/1/lb/functions` read
 * and written (the weights file rewritten, the write routed), writes refused
 * without the token, with a wrong one, with a bad body — and nothing changed
 * by them; a read-only weights file refused (409), a write that fails anyway
 * named with its path and errno (500); (a ConfigMap mount: weights-configmap.test.ts); no token configured → 403; a separate management port with the
 * traffic port serving no `/1/lb/`; with etcd, a function written through the
 * API lands at its key and is routed, and protected reads need the token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { routeOnce, sharedEtcd, uniqueZone, waitRoute } from '../support/etcd-harness.ts';
import { waitUntil } from '../support/wait.ts';

const TOKEN = 'mgmt-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const FOLLOW_MS = 10_000;

async function api(url: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}) {
  const r = await fetch(`${url}${path}`, { method, headers: opts.headers ?? {}, ...(opts.body === undefined ? {} : { body: opts.body }) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: (text === '' ? {} : JSON.parse(text)) as Record<string, any> };
}

let a: Backend;
let b: Backend;
before(async () => {
  [a, b] = await Promise.all([startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});

for (const runtime of RUNTIMES) {
  describe(`/1/lb/functions with the weights file on ${runtime}`, () => {
    let golb: GolbProcess;
    before(async () => {
      golb = await startGolb(runtime, { weights: { hello: { ips: [a.address], weights: [1] } }, env: { eb_go_lb_admin_token: TOKEN } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
    });

    test('reads: the table, one function, 404 for an unknown one', async () => {
      const all = await api(golb.url, 'GET', '/1/lb/functions');
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.functions, {
        hello: { value: { ips: [a.address], weights: [1] }, strategy: 'wrr', backends: [{ address: a.address, weight: 1, gateway: false, available: true }] },
      });
      const one = await api(golb.url, 'GET', '/1/lb/functions/hello');
      assert.equal(one.status, 200);
      assert.equal(one.body.function, 'hello');
      const unknown = await api(golb.url, 'GET', '/1/lb/functions/nope');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error, 'unknown_function');
    });

    test('refused writes: no token, wrong token, bad body, bad name — nothing changes', async () => {
      const fileBefore = readFileSync(golb.weightsFile, 'utf8');
      const value = JSON.stringify({ ips: [b.address], weights: [1] });
      const none = await api(golb.url, 'PUT', '/1/lb/functions/hello', { body: value });
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="golb"');
      assert.equal((await api(golb.url, 'PUT', '/1/lb/functions/hello', { body: value, headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
      assert.equal((await api(golb.url, 'DELETE', '/1/lb/functions/hello', { headers: { authorization: 'Basic x' } })).status, 401);
      const bad = await api(golb.url, 'PUT', '/1/lb/functions/hello', { body: JSON.stringify({ ips: [b.address, a.address], weights: [1] }), headers: auth });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'bad_request');
      assert.match(bad.body.message, /"ips" has 2 entries but "weights" has 1/);
      for (const body of ['not json', '{"ips": ["x"], "weights": [-1]}', '{"ips": ["https://x"], "weights": [1]}', '{"ips": [], "weights": [], "strategy": "nope"}']) {
        assert.equal((await api(golb.url, 'PUT', '/1/lb/functions/hello', { body, headers: auth })).status, 400, body);
      }
      assert.equal((await api(golb.url, 'PUT', '/1/lb/functions/bad%2fname', { body: value, headers: auth })).status, 400);
      assert.equal(readFileSync(golb.weightsFile, 'utf8'), fileBefore, 'the file is untouched');
      assert.equal(await routeOnce(golb.url, 'hello'), a.address, 'hello still routes as before');
    });

    test('PUT stores the value in the file and routes it; DELETE removes it', async () => {
      const put = await api(golb.url, 'PUT', '/1/lb/functions/resnet', { body: JSON.stringify({ ips: [b.address], weights: [3], strategy: 'rr' }), headers: auth });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { function: 'resnet', value: { ips: [b.address], weights: [3], strategy: 'rr' } });
      assert.equal(await routeOnce(golb.url, 'resnet'), b.address);
      const file = JSON.parse(readFileSync(golb.weightsFile, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(file, { hello: { ips: [a.address], weights: [1] }, resnet: { ips: [b.address], weights: [3], strategy: 'rr' } });
      assert.equal((await api(golb.url, 'GET', '/1/lb/functions/resnet')).body.strategy, 'rr');

      const del = await api(golb.url, 'DELETE', '/1/lb/functions/resnet', { headers: auth });
      assert.deepEqual({ status: del.status, body: del.body }, { status: 200, body: { function: 'resnet', deleted: true } });
      assert.equal(await routeOnce(golb.url, 'resnet'), 'status 404');
      assert.equal((await api(golb.url, 'DELETE', '/1/lb/functions/resnet', { headers: auth })).status, 404);
      assert.deepEqual(Object.keys(JSON.parse(readFileSync(golb.weightsFile, 'utf8')) as object), ['hello']);
    });

    test('a read-only weights file refuses writes with 409, saying why; a write that fails anyway is 500 naming the path and errno', async () => {
      const value = JSON.stringify({ ips: [b.address], weights: [1] });
      const fileBefore = readFileSync(golb.weightsFile, 'utf8');
      chmodSync(golb.weightsFile, 0o444);
      try {
        const put = await api(golb.url, 'PUT', '/1/lb/functions/hello', { body: value, headers: auth });
        assert.equal(put.status, 409);
        assert.equal(put.body.error, 'conflict');
        assert.match(put.body.message, new RegExp(`^the weights file ${golb.weightsFile} is read-only \\(mode 0444\\); edit the file`));
        assert.equal((await api(golb.url, 'DELETE', '/1/lb/functions/hello', { headers: auth })).status, 409);
      } finally {
        chmodSync(golb.weightsFile, 0o644);
      }
      // golb's temporary file is `.weights.json.<pid>.tmp` beside it: a directory there makes the write itself fail.
      const tmp = join(golb.dir, `.weights.json.${golb.proc.pid}.tmp`);
      mkdirSync(tmp);
      try {
        const put = await api(golb.url, 'PUT', '/1/lb/functions/hello', { body: value, headers: auth });
        assert.deepEqual({ status: put.status, error: put.body.error, message: put.body.message }, { status: 500, error: 'write_failed', message: `cannot write ${golb.weightsFile}: EISDIR` });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      assert.equal(readFileSync(golb.weightsFile, 'utf8'), fileBefore, 'the file is untouched');
      assert.equal(await routeOnce(golb.url, 'hello'), a.address);
    });
  });

  describe(`a separate management port, no token configured, on ${runtime}`, () => {
    let golb: GolbProcess;
    let mgmt: string;
    before(async () => {
      const mgmtPort = await freePort();
      mgmt = `http://127.0.0.1:${mgmtPort}`;
      golb = await startGolb(runtime, { weights: { hello: { ips: [a.address], weights: [1] } }, args: ['--mgmt-listen', `127.0.0.1:${mgmtPort}`] });
      await waitUntil('the management port answers', FOLLOW_MS, async () => ((await fetch(`${mgmt}/healthz`)).status === 200 ? true : undefined));
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
    });

    test('management is served there and absent from the traffic port', async () => {
      assert.equal((await api(mgmt, 'GET', '/1/lb/functions')).status, 200);
      assert.deepEqual((await api(mgmt, 'GET', '/1/lb/nodes')).body, { nodes: {} });
      assert.equal((await api(mgmt, 'GET', '/function/hello/')).status, 404, 'no traffic on the management port');
      for (const path of ['/1/lb/functions', '/1/lb/nodes', '/1/lb/functions/hello']) {
        const r = await api(golb.url, 'GET', path);
        assert.equal(r.status, 404, path);
      }
      assert.equal((await api(golb.url, 'GET', '/healthz')).status, 200);
      assert.equal(await routeOnce(golb.url, 'hello'), a.address);
      assert.doesNotMatch(golb.output(), /not in effect/);
    });

    test('without a configured token every write is 403 and changes nothing', async () => {
      const value = JSON.stringify({ ips: [b.address], weights: [1] });
      for (const headers of [{}, { authorization: 'Bearer anything' }] as Record<string, string>[]) {
        const r = await api(mgmt, 'PUT', '/1/lb/functions/hello', { body: value, headers });
        assert.equal(r.status, 403);
        assert.equal(r.body.error, 'forbidden');
        assert.equal((await api(mgmt, 'PUT', '/1/lb/nodes', { body: JSON.stringify({ node: b.address }), headers })).status, 403);
        assert.equal((await api(mgmt, 'DELETE', '/1/lb/functions/hello', { headers })).status, 403);
      }
      assert.equal(await routeOnce(golb.url, 'hello'), a.address);
      assert.deepEqual((await api(mgmt, 'GET', '/1/lb/nodes')).body, { nodes: {} });
    });
  });

  describe(`/1/lb/functions with etcd on ${runtime}`, () => {
    let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
    let golb: GolbProcess;
    const zone = uniqueZone(`mgmt-${runtime}`);
    before(async () => {
      etcd = await sharedEtcd();
      golb = await startGolb(runtime, {
        env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone, eb_go_lb_admin_token: TOKEN, eb_go_lb_protect_reads: 'true' },
      });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
      await etcd.release();
    });

    test('protected reads need the token', async () => {
      assert.equal((await api(golb.url, 'GET', '/1/lb/functions')).status, 401);
      assert.equal((await api(golb.url, 'GET', '/1/lb/nodes')).status, 401);
      assert.equal((await api(golb.url, 'GET', '/metrics')).status, 401, 'metrics are a read too');
      assert.equal((await api(golb.url, 'GET', '/1/lb/functions', { headers: auth })).status, 200);
      assert.equal((await fetch(`${golb.url}/metrics`, { headers: auth })).status, 200);
      assert.equal((await api(golb.url, 'GET', '/healthz')).status, 200, 'liveness stays open');
    });

    test('a function written through the API is at its etcd key and routed; DELETE removes the key', async () => {
      const key = `golb/function/${zone}/resnet`;
      const put = await api(golb.url, 'PUT', '/1/lb/functions/resnet', { body: JSON.stringify({ ips: [b.address], weights: [2] }), headers: auth });
      assert.equal(put.status, 202);
      assert.deepEqual(JSON.parse(await etcd.etcdctl(['get', '--print-value-only', key])), { ips: [b.address], weights: [2] });
      await waitRoute(golb.url, 'resnet', b.address, FOLLOW_MS);

      const bad = await api(golb.url, 'PUT', '/1/lb/functions/resnet', { body: '{"ips": ["a"], "weights": [1, 2]}', headers: auth });
      assert.equal(bad.status, 400);
      assert.deepEqual(JSON.parse(await etcd.etcdctl(['get', '--print-value-only', key])), { ips: [b.address], weights: [2] }, 'etcd unchanged');

      const del = await api(golb.url, 'DELETE', '/1/lb/functions/resnet', { headers: auth });
      assert.equal(del.status, 202);
      assert.equal((await etcd.etcdctl(['get', key])).trim(), '');
      await waitRoute(golb.url, 'resnet', 'status 404', FOLLOW_MS);
    });
  });
}
