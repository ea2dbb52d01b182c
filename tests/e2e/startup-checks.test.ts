/**
 * Start-up checks, end to end: what golb says and does when its settings or
 * its machine are slightly wrong. A list setting written with commas works; two
 * settings contradicting each other stop golb with one line; a port already
 * taken stops it with the address, the port and the system's reason on every
 * runtime; a zone without etcd serves the weights file and says so in its log
 * and in /readyz.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';

/** How long a golb expected to stop by itself may run: one that serves instead is killed (code null). */
const EXIT_WAIT_MS = 30_000;

/** Starts golb expecting it to stop by itself; its exit code and output. */
async function exitOf(...args: Parameters<typeof startGolb>): Promise<[number | null, string]> {
  const golb = await startGolb(args[0], { ...args[1], waitReady: false });
  const kill = setTimeout(() => golb.proc.kill('SIGKILL'), EXIT_WAIT_MS);
  const code = await new Promise<number | null>((resolve) => (golb.proc.exitCode !== null ? resolve(golb.proc.exitCode) : golb.proc.on('exit', resolve)));
  clearTimeout(kill);
  return [code, golb.output()];
}

describe('eb_go_lb_gateways written with commas, as --etcd-host and --nodes are', () => {
  let otherZone: Backend;
  let golb: GolbProcess;
  before(async () => {
    otherZone = await startBackend();
    golb = await startGolb('bun', {
      env: { eb_go_lb_gateways: `${otherZone.address},127.0.0.1:9` },
      weights: { resnet: { ips: [otherZone.address], weights: [1] } },
    });
  });
  after(async () => {
    assert.equal(await golb.stop(), 0);
    await otherZone.close();
  });

  test("the other zone's gateway gets the full path /function/resnet/p?q", async () => {
    const r = await fetch(`${golb.url}/function/resnet/p?q`);
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(((await r.json()) as { url: string }).url, '/function/resnet/p?q');
    assert.equal(otherZone.seen.at(-1)?.headers['x-golb-forwarded-by'], 'golb-bun', 'marked as forwarded by this gateway');
  });
});

test('--listen and --listen-port disagreeing stop golb (exit 2) with one line naming both', async () => {
  const [code, out] = await exitOf('bun', {
    args: ['--listen', '127.0.0.1:8181', '--listen-port', '8182'],
    env: { eb_go_lb_listen_port: '', eb_go_lb_listen_host: '' },
  });
  assert.equal(code, 2, out);
  assert.equal(out.trim(), 'golb: --listen 127.0.0.1:8181 contradicts --listen-port 8182: both set the listen port (8181, 8182); give one of them');
});

test('a gateway not written as ips write addresses stops golb (exit 2) quoting it', async () => {
  const [code, out] = await exitOf('bun', { args: ['--gateways', '10.0.0.1:8082,127.0.0.1:047291'] });
  assert.equal(code, 2, out);
  assert.match(out.trim(), /^golb: --gateways: expected addresses as ips writes them .*, got "127\.0\.0\.1:047291"$/);
});

for (const runtime of RUNTIMES) {
  test(`${runtime}: a port already taken stops golb, naming the address, the port and the reason`, async () => {
    const port = await freePort();
    const taker: Server = createServer();
    await new Promise<void>((resolve) => taker.listen(port, '127.0.0.1', resolve));
    try {
      const [code, out] = await exitOf(runtime, { port });
      assert.notEqual(code, 0, out);
      assert.notEqual(code, null, out);
      assert.match(out, new RegExp(`ERROR cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE \\(address already in use`), out);
      assert.match(out, new RegExp(`listener=traffic address=127\\.0\\.0\\.1:${port} code=EADDRINUSE`), out);
    } finally {
      taker.close();
    }
  });
}

test("a zone without etcd serves the weights file, with a WARN naming both and the seed's default, also in /readyz", async () => {
  const pod = await startBackend();
  const golb = await startGolb('node', { env: { eb_go_lb_zone: 'zone-b' }, weights: { hello: { ips: [pod.address], weights: [1] } } });
  try {
    assert.equal((await fetch(`${golb.url}/function/hello/`)).status, 200, 'it serves the file');
    const ready = await fetch(`${golb.url}/readyz`);
    assert.equal(ready.status, 200, 'a warning does not make golb unready');
    const body = (await ready.json()) as { warnings?: { code: string; message: string }[] };
    const message = `eb_go_lb_zone is set (zone-b) but eb_go_lb_etcd_host is not: golb serves the weights file ${golb.weightsFile}; `
      + 'the Go seed defaulted to etcd at localhost:2379 (set eb_go_lb_etcd_host=localhost:2379 to keep that)';
    assert.deepEqual(body.warnings, [{ code: 'zone_without_etcd', message }]);
    const warned = golb.output().split('\n').filter((l) => / WARN /.test(l));
    assert.equal(warned.length, 1, golb.output());
    assert.ok(warned[0]!.includes(message), warned[0]);
  } finally {
    assert.equal(await golb.stop(), 0);
    await pod.close();
  }
});
