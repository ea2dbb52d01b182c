/**
 * A weights file mounted as Kubernetes mounts a ConfigMap, end to end on Bun,
 * Deno and Node: golb serves it; a write through the management API is
 * refused (409) and leaves the links as they are, so the next update of the
 * ConfigMap still reaches golb; that update (a new version directory, a new
 * `..data` link renamed over the old) is applied without a restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { routeOnce, waitRoute } from '../support/etcd-harness.ts';
import { configMapDir, type ConfigMapDir } from '../support/configmap-dir.ts';

const TOKEN = 'configmap-test-token';
/** How long golb may take to see the ConfigMap's update (generous: 2 cores, 3 runtimes). */
const FOLLOW_MS = 5_000;

let a: Backend;
let b: Backend;
before(async () => {
  [a, b] = await Promise.all([startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});

for (const runtime of RUNTIMES) {
  describe(`a ConfigMap-mounted weights file on ${runtime}`, () => {
    let dir: string;
    let cm: ConfigMapDir;
    let golb: GolbProcess;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `golb-configmap-${runtime}-`));
      cm = configMapDir(dir, { hello: { ips: [a.address], weights: [1] } });
      golb = await startGolb(runtime, { env: { eb_go_lb_weights_file: cm.file, eb_go_lb_admin_token: TOKEN } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
      rmSync(dir, { recursive: true, force: true });
    });

    test('is served', async () => {
      assert.equal(await routeOnce(golb.url, 'hello'), a.address);
    });

    test('a write through the API is refused with 409 saying why and what to do instead; the links and the file are untouched', async () => {
      const listing = cm.listing();
      assert.deepEqual(listing.filter((l) => l.includes('->')), ['..data -> ' + cm.current(), 'weights.json -> ..data/weights.json']);
      const text = readFileSync(cm.file, 'utf8');
      const headers = { authorization: `Bearer ${TOKEN}` };
      const put = await fetch(`${golb.url}/1/lb/functions/hello`, { method: 'PUT', headers, body: JSON.stringify({ ips: [b.address], weights: [1] }) });
      const body = (await put.json()) as { error: string; message: string; function: string };
      assert.equal(put.status, 409);
      assert.equal(body.error, 'conflict');
      assert.equal(body.function, 'hello');
      assert.match(body.message, new RegExp(`the weights file ${cm.file} is a symbolic link \\(a Kubernetes ConfigMap mount\\?\\)`));
      assert.match(body.message, /edit the file \(or the ConfigMap it comes from\) instead, or run golb with etcd \(eb_go_lb_etcd_host\)/);
      const del = await fetch(`${golb.url}/1/lb/functions/hello`, { method: 'DELETE', headers });
      assert.deepEqual([del.status, ((await del.json()) as { error: string }).error], [409, 'conflict']);
      assert.deepEqual(cm.listing(), listing, 'still links; no temporary file left');
      assert.equal(readFileSync(cm.file, 'utf8'), text);
      assert.equal(await routeOnce(golb.url, 'hello'), a.address, 'still served as before');
      assert.match(golb.output(), /WARN .*management write refused function=hello/);
    });

    test("the ConfigMap's update (a new ..data renamed over the old) is applied without a restart", async () => {
      cm.update({ hello: { ips: [b.address], weights: [1] }, added: { ips: [a.address], weights: [1] } });
      await waitRoute(golb.url, 'hello', b.address, FOLLOW_MS);
      await waitRoute(golb.url, 'added', a.address, FOLLOW_MS);
      cm.update({ hello: { ips: [a.address], weights: [1] } });
      await waitRoute(golb.url, 'hello', a.address, FOLLOW_MS);
      await waitRoute(golb.url, 'added', 'status 404', FOLLOW_MS);
    });
  });
}
