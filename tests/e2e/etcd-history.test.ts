/**
 * The last good value survives a restart, end to end on Bun, Deno and Node
 * against a real etcd: a golb started after a bad value was written serves
 * the newest good value in the key's history (logged with the key, the
 * reason and the revision served, and warned of in `/readyz` until a good
 * value is written); a key never good, or whose history was compacted, is
 * refused as before (404) and golb serves on. An empty zone is warned of
 * until a function appears.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { putKey, routeOnce, sharedEtcd, startEtcd, uniqueZone, value, waitLog, waitRoute, type Etcd } from '../support/etcd-harness.ts';
import { waitUntil } from '../support/wait.ts';

/** How long golb may take to apply a write it is watching (generous: 2 cores, 3 runtimes). */
const FOLLOW_MS = 5_000;
const LENGTHS_DIFFER = '{"ips": ["10.0.0.1"], "weights": [1, 2]}';

let a: Backend;
let b: Backend;
let c: Backend;
before(async () => {
  [a, b, c] = await Promise.all([startBackend(), startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

/** `/readyz`'s status and body. */
async function readyz(golb: GolbProcess): Promise<{ status: number; body: { status: string; functions: number; warnings?: { code: string; message: string }[] } }> {
  const r = await fetch(`${golb.url}/readyz`);
  return { status: r.status, body: (await r.json()) as never };
}

describe('history at start, on the shared etcd', () => {
  let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
  before(async () => {
    etcd = await sharedEtcd();
  });
  after(async () => {
    await etcd.release();
  });

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, () => {
      const zone = uniqueZone(`history-${runtime}`);
      const key = (fn: string) => `golb/function/${zone}/${fn}`;
      let golb: GolbProcess;
      let goodRevision: number;
      let badRevision: number;
      before(async () => {
        await putKey(etcd.etcdctl, key('resnet'), value([a], [1]));
        goodRevision = await putKey(etcd.etcdctl, key('resnet'), value([b], [1]));
        await putKey(etcd.etcdctl, key('resnet'), value([c], [-1]));
        badRevision = await putKey(etcd.etcdctl, key('resnet'), LENGTHS_DIFFER);
        await putKey(etcd.etcdctl, key('never-good'), LENGTHS_DIFFER);
        golb = await startGolb(runtime, { env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone } });
      });
      after(async () => {
        assert.equal(await golb.stop(), 0);
      });

      test("a golb started after bad values serves the newest good one in the key's history, and says so", async () => {
        assert.equal(await routeOnce(golb.url, 'resnet'), b.address);
        const line = await waitLog(golb.output, new RegExp(`WARN .*serving the newest good value in its history key=${key('resnet')} `), FOLLOW_MS);
        assert.match(line, /reason=.*ips.* has 1 entries but .*weights.* has 2/);
        assert.match(line, new RegExp(`revision=${badRevision} served=${goodRevision}$`));
        const ready = await readyz(golb);
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body.warnings, [
          { code: 'weights_from_history', message: `1 function is served from an older etcd value because the current one is refused: resnet (revision ${goodRevision})` },
          { code: 'etcd_functions_unknown', message: '1 function stays unknown (404) because its etcd value is refused and no good earlier value was found (the log says why): never-good' },
        ]);
      });

      test('a key that was never good is refused as before (404), and the log says its history has nothing', async () => {
        assert.equal(await routeOnce(golb.url, 'never-good'), 'status 404');
        const line = await waitLog(golb.output, new RegExp(`WARN .*no good value in its history.* key=${key('never-good')} `), FOLLOW_MS);
        assert.match(line, /kept=false .*history="the key has no earlier version"/);
      });

      test('a good value written ends the warning', async () => {
        await putKey(etcd.etcdctl, key('resnet'), value([a], [1]));
        await waitRoute(golb.url, 'resnet', a.address, FOLLOW_MS);
        assert.deepEqual((await readyz(golb)).body.warnings?.map((w) => w.code), ['etcd_functions_unknown']);
        await putKey(etcd.etcdctl, key('never-good'), value([a], [1]));
        await waitRoute(golb.url, 'never-good', a.address, FOLLOW_MS);
        assert.equal((await readyz(golb)).body.warnings, undefined);
        await waitLog(golb.output, /warning cleared warning=weights_from_history/, FOLLOW_MS);
      });
    });
  }
});

test('an empty zone is a warning in /readyz until a function appears (node: the runtime does not matter here)', async () => {
  const etcd = await sharedEtcd();
  const zone = uniqueZone('empty');
  const golb = await startGolb('node', { env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone } });
  try {
    const ready = await readyz(golb);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.warnings, [{ code: 'no_functions', message: `no function loaded from etcd (golb/function/${zone}/): every /function/ request answers 404 until one is added` }]);
    await putKey(etcd.etcdctl, `golb/function/${zone}/hello`, value([a], [1]));
    await waitRoute(golb.url, 'hello', a.address, FOLLOW_MS);
    assert.equal((await readyz(golb)).body.warnings, undefined);
  } finally {
    assert.equal(await golb.stop(), 0);
    await etcd.release();
  }
});

describe('a compacted history, on an etcd of its own', () => {
  let etcd: Etcd;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd.stop();
  });

  for (const runtime of RUNTIMES) {
    test(`on ${runtime}: the bad value is refused as before (404), the log says the history was compacted, golb serves on`, async () => {
      const zone = uniqueZone(`compacted-${runtime}`);
      const key = (fn: string) => `golb/function/${zone}/${fn}`;
      await putKey(etcd.etcdctl, key('resnet'), value([a], [1]));
      const bad = await putKey(etcd.etcdctl, key('resnet'), LENGTHS_DIFFER);
      await putKey(etcd.etcdctl, key('fine'), value([b], [1]));
      await etcd.etcdctl(['compact', String(await etcd.revision())]);
      const golb = await startGolb(runtime, { env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone } });
      try {
        assert.equal(await routeOnce(golb.url, 'resnet'), 'status 404');
        assert.equal(await routeOnce(golb.url, 'fine'), b.address);
        const line = await waitLog(golb.output, new RegExp(`WARN .*no good value in its history.* key=${key('resnet')} `), FOLLOW_MS);
        assert.match(line, new RegExp(`revision=${bad} history="its history before revision ${bad} was compacted"`));
        const ready = await readyz(golb);
        assert.deepEqual([ready.status, ready.body.functions, ready.body.warnings], [200, 1, [
          { code: 'etcd_functions_unknown', message: '1 function stays unknown (404) because its etcd value is refused and no good earlier value was found (the log says why): resnet' },
        ]]);
        await waitUntil('liveness', FOLLOW_MS, async () => ((await fetch(`${golb.url}/healthz`)).status === 200 ? true : undefined));
      } finally {
        assert.equal(await golb.stop(), 0);
      }
    });
  }
});
