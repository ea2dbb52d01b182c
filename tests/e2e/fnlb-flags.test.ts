/**
 * fnlb's whole command line, every flag of its main.go in the style of its
 * Kubernetes example (`-flag=value`), starts golb on Bun, Deno and Node and
 * serves: `-min-api-version` keeps a pool node whose `/version` answers an
 * older version out (and takes it back once it answers a newer one), the
 * flags golb does not act on (`-zipkin`, a SQL `-db`, the Kubernetes ones
 * without `-db=k8s`) are one warning each, in the log and in /readyz.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';

const FOLLOW_MS = 15_000;

/** A pool node as an Fn server: `/version` answers `{"version": ...}`, anything else its port. */
async function fnNode(version: () => string): Promise<Backend> {
  const node: Backend = await startBackend((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/version' ? { version: version() } : { port: node.port }));
  });
  return node;
}

async function nodes(url: string): Promise<Record<string, string>> {
  return ((await (await fetch(`${url}/1/lb/nodes`)).json()) as { nodes: Record<string, string> }).nodes;
}

let oldVersion = '0.0.9';
let oldNode: Backend;
let newNode: Backend;
before(async () => {
  oldNode = await fnNode(() => oldVersion);
  newNode = await fnNode(() => '0.3.1');
});
after(async () => {
  await Promise.all([oldNode.close(), newNode.close()]);
});

for (const runtime of RUNTIMES) {
  describe(`fnlb's full command line on ${runtime}`, () => {
    let golb: GolbProcess;
    before(async () => {
      oldVersion = '0.0.9';
      const port = await freePort();
      golb = await startGolb(runtime, {
        port,
        // An existing weights file with no function: with fnlb's pool that is normal (no warning); a missing one given by path would be warned of.
        weights: {},
        args: [
          `-listen=127.0.0.1:${port}`, `-mgmt-listen=127.0.0.1:${port}`, `-nodes=${oldNode.address},${newNode.address}`,
          '-db=sqlite3://:memory:', '-min-api-version=0.1.0', '-shutdown-timeout=5', '-hc-interval=0.3', '-hc-path=/version',
          '-hc-unhealthy=2', '-hc-healthy=1', '-hc-timeout=2', '-zipkin=http://127.0.0.1:9411/api/v2/spans',
          '-namespace=fn', '-label-selector=app=fn,role=fn-service', '-target-port=8080',
        ],
      });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
    });

    test('it serves, and says once for each flag it does not act on what it does instead', async () => {
      const ready = await fetch(`${golb.url}/readyz`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { warnings: { code: string; message: string }[] };
      assert.deepEqual(body.warnings.map((w) => w.code), ['fnlb_db', 'fnlb_zipkin', 'kubernetes_settings_unused']);
      assert.match(body.warnings[1]!.message, /^-zipkin: golb does not send Zipkin traces; use the access log/);
      for (const code of ['fnlb_db', 'fnlb_zipkin', 'kubernetes_settings_unused']) {
        assert.equal(golb.output().split('\n').filter((l) => / WARN /.test(l) && l.includes(`warning=${code}`)).length, 1, code);
      }
    });

    test('-min-api-version: the node answering an older /version gets nothing, logged once; it is back once it answers a newer one', async () => {
      await waitUntil('the old node offline', FOLLOW_MS, async () => ((await nodes(golb.url))[oldNode.address] === 'offline' ? true : undefined));
      assert.equal((await nodes(golb.url))[newNode.address], 'online');
      const seenBefore = oldNode.seen.filter((s) => s.url !== '/version').length;
      for (let i = 0; i < 30; i++) {
        const r = await fetch(`${golb.url}/r/app-${runtime}/route-${i}`);
        assert.equal(((await r.json()) as { port: number }).port, newNode.port);
      }
      assert.equal(oldNode.seen.filter((s) => s.url !== '/version').length, seenBefore, 'the old node got no request');
      // Probed several times by now, refused each time: one line.
      await waitUntil('a few more probes', FOLLOW_MS, () => (oldNode.seen.filter((s) => s.url === '/version').length >= 4 ? true : undefined));
      const refusals = golb.output().split('\n').filter((l) => l.includes('backend refused: kept out'));
      assert.equal(refusals.length, 1, golb.output());
      assert.match(refusals[0]!, new RegExp(`backend=${oldNode.address} reason="its API version 0.0.9 is below --min-api-version 0.1.0"`));

      oldVersion = '0.2.0';
      await waitUntil('the old node online again', FOLLOW_MS, async () => ((await nodes(golb.url))[oldNode.address] === 'online' ? true : undefined));
      const ports = new Set<number>();
      for (let i = 0; i < 40; i++) ports.add(((await (await fetch(`${golb.url}/r/again-${runtime}/${i}`)).json()) as { port: number }).port);
      assert.deepEqual([...ports].sort(), [newNode.port, oldNode.port].sort());
    });
  });
}

test('--hc-path /healthz with --min-api-version: the refusal names the path; a node that never answers is warned of once (bun: the runtime does not matter here)', async () => {
  const plain = await startBackend((_req, res) => res.end('ok'));
  const silent = await startBackend(() => undefined); // never answers
  const golb = await startGolb('bun', {
    weights: {},
    args: ['--nodes', `${plain.address},${silent.address}`, '--hc-path', '/healthz', '--min-api-version', 'v0.1.0', '--hc-interval', '0.3', '--hc-timeout', '0.5', '--hc-unhealthy', '2'],
  });
  try {
    const lineWith = (needle: string) => golb.output().split('\n').filter((l) => l.includes(needle));
    await waitUntil('both WARN lines', FOLLOW_MS, () => (lineWith('backend refused: kept out').length > 0 && lineWith('backend has not passed').length > 0 ? true : undefined));
    assert.match(lineWith('backend refused: kept out')[0]!, new RegExp(`backend=${plain.address} reason="its answer to GET /healthz is not JSON \\{\\\\"version\\\\": \\\\"x\\.y\\.z\\\\"\\} \\(--min-api-version 0\\.1\\.0 reads the answer of --hc-path /healthz\\)"`));
    assert.match(lineWith('backend has not passed')[0]!, new RegExp(`WARN\\s+backend has not passed a health check since it was listed: kept out backend=${silent.address} fails=2 reason="timed out" path=/healthz`));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(lineWith('backend has not passed').length, 1, 'once per node');
    assert.deepEqual(await nodes(golb.url), { [plain.address]: 'offline', [silent.address]: 'offline' });
  } finally {
    assert.equal(await golb.stop(), 0);
    await Promise.all([plain.close(), silent.close()]);
  }
});
