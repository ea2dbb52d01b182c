/**
 * Decimal weights end to end, on each runtime, against a real etcd: the value
 * an optimiser writes (1.5 : 2.25 : 0.25) is accepted, not refused, and splits
 * the traffic exactly in its proportions (6 : 9 : 1 under `wrr`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { putKey, routeCounts, sharedEtcd, uniqueZone, value, waitLog } from '../support/etcd-harness.ts';

/** How long golb may take to apply a write it is watching (generous: 2 cores, 3 runtimes). */
const FOLLOW_MS = 5_000;

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
let a: Backend;
let b: Backend;
let c: Backend;

before(async () => {
  etcd = await sharedEtcd();
  [a, b, c] = await Promise.all([startBackend(), startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
  await etcd.release();
});

for (const runtime of RUNTIMES) {
  describe(`decimal weights on ${runtime}`, () => {
    const zone = uniqueZone(`decimal-${runtime}`);
    let golb: GolbProcess;

    before(async () => {
      golb = await startGolb(runtime, { env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
    });

    test('1.5 : 2.25 : 0.25 written to etcd gives exactly 60 / 90 / 10 of 160 requests', async () => {
      const rev = await putKey(etcd.etcdctl, `golb/function/${zone}/lrt`, value([a, b, c], [1.5, 2.25, 0.25]));
      await waitLog(golb.output, new RegExp(`function updated function=lrt .*revision=${rev}\\b`), FOLLOW_MS);
      assert.doesNotMatch(golb.output(), /etcd value refused/);
      const counts = await routeCounts(golb.url, 'lrt', 160);
      assert.deepEqual(counts, { [a.address]: 60, [b.address]: 90, [c.address]: 10 });
    });

    test('decimal weights that are all 0 mean no backend: 503', async () => {
      const rev = await putKey(etcd.etcdctl, `golb/function/${zone}/drained`, value([a, b], [0.0, 0]));
      await waitLog(golb.output, new RegExp(`function updated function=drained .*revision=${rev}\\b`), FOLLOW_MS);
      assert.deepEqual(await routeCounts(golb.url, 'drained', 3), { 'status 503': 3 });
    });
  });
}
