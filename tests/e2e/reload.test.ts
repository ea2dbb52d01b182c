/**
 * SIGHUP end to end on Bun, Deno and Node: the weights file is re-read at
 * once (a change the directory watch cannot see, served as soon as the
 * reload is logged, without waiting for the poll), the process lives through
 * any number of SIGHUPs, and with etcd SIGHUP says the weights come from its
 * watch and changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { putKey, routeOnce, sharedEtcd, uniqueZone, value, waitRoute } from '../support/etcd-harness.ts';
import { waitUntil } from '../support/wait.ts';

const FOLLOW_MS = 5_000;

let a: Backend;
let b: Backend;
before(async () => {
  [a, b] = await Promise.all([startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});

/** The log lines of `golb` matching `pattern`. */
const count = (golb: GolbProcess, pattern: RegExp) => golb.output().split('\n').filter((l) => pattern.test(l)).length;

/** Sends SIGHUP and waits for the reload it starts to be logged as done. */
async function hangUp(golb: GolbProcess): Promise<void> {
  const before = count(golb, /INFO  reloaded signal=SIGHUP/);
  golb.proc.kill('SIGHUP');
  await waitUntil('the reload is logged', FOLLOW_MS, () => (count(golb, /INFO  reloaded signal=SIGHUP/) > before ? true : undefined));
}

for (const runtime of RUNTIMES) {
  describe(`SIGHUP with the weights file on ${runtime}`, () => {
    let golb: GolbProcess;
    let real: string;
    let dir: string;
    before(async () => {
      // The file golb is given links to one in another directory: its directory watch sees no change of it.
      dir = mkdtempSync(join(tmpdir(), `golb-reload-${runtime}-`));
      mkdirSync(join(dir, 'given'));
      mkdirSync(join(dir, 'elsewhere'));
      real = join(dir, 'elsewhere', 'weights.json');
      writeFileSync(real, JSON.stringify({ hello: { ips: [a.address], weights: [1] } }));
      symlinkSync(real, join(dir, 'given', 'weights.json'));
      golb = await startGolb(runtime, { env: { eb_go_lb_weights_file: join(dir, 'given', 'weights.json') } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb still exits 0 on SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });

    test('re-reads the file at once and serves the new weights; the process lives', async () => {
      assert.equal(await routeOnce(golb.url, 'hello'), a.address);
      writeFileSync(real, JSON.stringify({ hello: { ips: [b.address], weights: [1] }, added: { ips: [a.address], weights: [1] } }));
      await hangUp(golb);
      assert.equal(await routeOnce(golb.url, 'hello'), b.address, 'served right after the reload, before any poll');
      assert.equal(await routeOnce(golb.url, 'added'), a.address);
      assert.equal(golb.proc.exitCode, null);
      assert.match(golb.output(), /INFO  reloading signal=SIGHUP what=weights/);
    });

    test('a SIGHUP with nothing changed says so; a burst of them is harmless', async () => {
      await hangUp(golb);
      assert.match(golb.output(), /INFO  weights file re-read: unchanged .*functions=2/);
      for (let i = 0; i < 5; i++) golb.proc.kill('SIGHUP');
      await hangUp(golb);
      assert.equal(golb.proc.exitCode, null);
      assert.equal(golb.proc.signalCode, null);
      assert.equal((await fetch(`${golb.url}/healthz`)).status, 200);
      assert.equal(await routeOnce(golb.url, 'hello'), b.address);
    });
  });

  describe(`SIGHUP with etcd on ${runtime}`, () => {
    let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
    let golb: GolbProcess;
    const zone = uniqueZone(`reload-${runtime}`);
    before(async () => {
      etcd = await sharedEtcd();
      await putKey(etcd.etcdctl, `golb/function/${zone}/hello`, value([a], [1]));
      golb = await startGolb(runtime, { env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
      await etcd.release();
    });

    test('logs that the weights come from etcd, changes nothing, and the process lives', async () => {
      await waitRoute(golb.url, 'hello', a.address, FOLLOW_MS);
      await hangUp(golb);
      assert.match(golb.output(), /INFO  SIGHUP: the weights come from etcd and are followed by its watch; nothing to re-read source=etcd/);
      assert.equal(golb.proc.exitCode, null);
      assert.equal(await routeOnce(golb.url, 'hello'), a.address);
    });
  });
}
