/**
 * etcd going away, on each runtime (run side by side, each with its own etcd
 * reached through a relay the test controls): SIGKILL and restart, a
 * compaction while golb is cut off, a half-open connection, and a
 * three-member cluster losing, in turn, each member.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import {
  deleteKey, putKey, routeCounts, routeOnce, startEtcd, startRelay, uniqueZone, value, waitLog, waitRoute, type Etcd, type Relay,
} from '../support/etcd-harness.ts';
import { waitUntil } from '../support/wait.ts';

/**
 * How long golb may take to catch up once etcd is reachable again: its backoff
 * cap (5 s) plus the breaker's 1 s plus slack for 2 cores running three
 * runtimes and their etcds at once.
 */
const RECOVER_MS = 15_000;
/** A half-open connection is noticed by gRPC keepalive: ping every 10 s, 5 s for the answer. */
const KEEPALIVE_MS = 15_000;

let a: Backend;
let b: Backend;
let c: Backend;

before(async () => {
  [a, b, c] = await Promise.all([startBackend(), startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

/** Counts the lines of `output()` matching `pattern`. */
function countLines(output: string, pattern: RegExp): number {
  return output.split('\n').filter((l) => pattern.test(l)).length;
}

describe('etcd outages', { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    describe(runtime, { concurrency: 1 }, () => {
      const zone = uniqueZone(`outage-${runtime}`);
      const key = (fn: string) => `golb/function/${zone}/${fn}`;
      let etcd: Etcd;
      let relay: Relay;
      let golb: GolbProcess;

      before(async () => {
        etcd = await startEtcd();
        relay = await startRelay(etcd.endpoints[0]!);
        await putKey(etcd.etcdctl, key('steady'), value([a], [1]));
        golb = await startGolb(runtime, { env: { eb_go_lb_etcd_host: relay.endpoint, eb_go_lb_zone: zone } });
        // Ready means the first read is in; the watch attaches just after. Wait for
        // it, so that killing etcd loses an attached watch (on 2 busy cores this
        // can take a while).
        await waitLog(golb.output, /etcd watch attached/, RECOVER_MS);
      });
      after(async () => {
        assert.equal(await golb.stop(), 0);
        await relay.close();
        await etcd.stop();
      });

      test('SIGKILL: golb keeps serving what it has, then follows writes made after the restart', async () => {
        assert.equal(await routeOnce(golb.url, 'steady'), a.address);
        await etcd.kill('SIGKILL');
        await waitLog(golb.output, /etcd watch lost/, RECOVER_MS);
        assert.deepEqual(await routeCounts(golb.url, 'steady', 20), { [a.address]: 20 }, 'requests succeed during the outage');
        assert.equal((await fetch(`${golb.url}/readyz`)).status, 200, 'still ready: it serves its last table');
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(await routeCounts(golb.url, 'steady', 5), { [a.address]: 5 }, 'still serving after a second');
        await etcd.restart();
        await putKey(etcd.etcdctl, key('steady'), value([b], [1]));
        await putKey(etcd.etcdctl, key('after-restart'), value([c], [1]));
        await waitRoute(golb.url, 'steady', b.address, RECOVER_MS);
        await waitRoute(golb.url, 'after-restart', c.address, RECOVER_MS);
        assert.match(golb.output(), /etcd watch attached again/);
      });

      test('a compaction while golb is cut off: it reads afresh, a delete and an add made meanwhile both show', async () => {
        await putKey(etcd.etcdctl, key('doomed'), value([a], [1]));
        await putKey(etcd.etcdctl, key('kept'), value([a], [1]));
        await waitRoute(golb.url, 'doomed', a.address, RECOVER_MS);
        await waitRoute(golb.url, 'kept', a.address, RECOVER_MS);
        const lost = countLines(golb.output(), /etcd watch lost/);

        relay.cut();
        await waitUntil('golb noticed the cut', RECOVER_MS, () => (countLines(golb.output(), /etcd watch lost/) > lost ? true : undefined));
        await deleteKey(etcd.etcdctl, key('doomed'));
        await putKey(etcd.etcdctl, key('born'), value([b], [1]));
        await putKey(etcd.etcdctl, key('kept'), value([c], [1]));
        const rev = await putKey(etcd.etcdctl, `golb/function/${zone}-elsewhere/noise`, value([a], [1]));
        await etcd.etcdctl(['compact', String(rev), '--physical']);
        assert.deepEqual(await routeCounts(golb.url, 'kept', 5), { [a.address]: 5 }, 'cut off, golb serves its last table');
        assert.equal(await routeOnce(golb.url, 'doomed'), a.address);

        relay.restore();
        await waitLog(golb.output, /etcd watch cancelled; reading the zone again/, RECOVER_MS);
        await waitRoute(golb.url, 'doomed', 'status 404', RECOVER_MS);
        await waitRoute(golb.url, 'born', b.address, RECOVER_MS);
        await waitRoute(golb.url, 'kept', c.address, RECOVER_MS);
        // And it watches again from the fresh read.
        await putKey(etcd.etcdctl, key('born'), value([a], [1]));
        await waitRoute(golb.url, 'born', a.address, RECOVER_MS);
      });

      test('a half-open connection (bytes silently dropped) is noticed by gRPC keepalive and the watch resumes', async () => {
        await putKey(etcd.etcdctl, key('quiet'), value([a], [1]));
        await waitRoute(golb.url, 'quiet', a.address, RECOVER_MS);
        relay.stall();
        await putKey(etcd.etcdctl, key('quiet'), value([b], [1]));
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(await routeOnce(golb.url, 'quiet'), a.address, 'the stalled connection delivers nothing');
        await waitRoute(golb.url, 'quiet', b.address, KEEPALIVE_MS + RECOVER_MS);
      });
    });
  }
});

describe('a three-member etcd cluster', () => {
  let cluster: Etcd;
  const golbs: { runtime: string; golb: GolbProcess; zone: string }[] = [];

  before(async () => {
    cluster = await startEtcd({ members: 3 });
    for (const runtime of RUNTIMES) {
      const zone = uniqueZone(`cluster-${runtime}`);
      await putKey(cluster.etcdctl, `golb/function/${zone}/fn`, value([a], [1]));
      golbs.push({ runtime, zone, golb: await startGolb(runtime, { env: { eb_go_lb_etcd_host: cluster.hostSetting, eb_go_lb_zone: zone } }) });
    }
  });
  after(async () => {
    for (const { golb } of golbs) assert.equal(await golb.stop(), 0);
    await cluster.stop();
  });

  test('golb follows writes through the other members whichever member dies', async () => {
    const backends = [b, c, a];
    for (let member = 0; member < 3; member++) {
      // Whichever member a golb's watch was on, one of these kills is that member.
      await cluster.kill('SIGKILL', member);
      const others = [0, 1, 2].filter((m) => m !== member);
      // A write sent while the survivors elect a new leader would wait out its timeout.
      await cluster.healthy(others);
      const target = backends[member]!;
      for (const { zone } of golbs) await putKey(cluster.etcdctl, `golb/function/${zone}/fn`, value([target], [1]), others);
      await Promise.all(
        golbs.map(async ({ runtime, golb }) => {
          await waitRoute(golb.url, 'fn', target.address, RECOVER_MS).catch((err: Error) => {
            throw new Error(`${runtime} with member ${member} down: ${err.message}\n${golb.output().slice(-3000)}`);
          });
        }),
      );
      await cluster.restart(member);
    }
    for (const { runtime, golb } of golbs) {
      assert.match(golb.output(), /etcd watch lost/, `${runtime}: one of the kills took the member its watch was on`);
    }
  });
});
