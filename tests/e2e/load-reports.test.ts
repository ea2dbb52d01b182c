/**
 * Load reports in etcd end to end, on each runtime, against the real etcd
 * (the run's shared one, each runtime in its own zone): two gateways of one
 * zone each write theirs under `golb/load/<zone>/<node>` and one prefix read
 * shows both; the requests a report counts are exactly the requests sent; a
 * gateway killed with SIGKILL disappears when its lease runs out, one stopped
 * cleanly at once. An etcd watch in the test sees every report written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3, type Watcher } from 'etcd3';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { putKey, sharedEtcd, uniqueZone, value } from '../support/etcd-harness.ts';
import { waitUntil } from '../support/wait.ts';
import type { LoadReport } from '../../app/load/report.ts';

/** The report interval, s: long enough that a poll of the test never misses one on a loaded machine. */
const INTERVAL_S = 2;
/** Its lease: three intervals, at least 5 s (app/load/report-publisher.ts). */
const LEASE_MS = Math.max(5, 3 * INTERVAL_S) * 1000;
/** How long anything may take beyond what it should (2 cores shared by many). */
const SLACK_MS = 5_000;
/** Requests sent in the counted window. */
const SENT = 30;

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
let client: Etcd3;
let a: Backend;
let b: Backend;

before(async () => {
  etcd = await sharedEtcd();
  client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
  [a, b] = await Promise.all([startBackend(), startBackend()]);
});
after(async () => {
  client.close();
  await Promise.all([a.close(), b.close()]);
  await etcd.release();
});

/** Every report written under a zone, as the test's watch saw them, in order. */
class SeenReports {
  readonly byKey = new Map<string, LoadReport[]>();
  watcher: Watcher | undefined;

  async watch(prefix: string): Promise<void> {
    this.watcher = await client.watch().prefix(prefix).create();
    this.watcher.on('put', (kv) => {
      const key = kv.key.toString();
      this.byKey.set(key, [...(this.byKey.get(key) ?? []), JSON.parse(kv.value.toString()) as LoadReport]);
    });
  }

  of(key: string): LoadReport[] {
    return this.byKey.get(key) ?? [];
  }
}

/** The zone's reports by key, from one prefix read. */
async function zoneReports(zone: string): Promise<Record<string, LoadReport>> {
  const values = await client.getAll().prefix(`golb/load/${zone}/`).strings();
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.parse(v) as LoadReport]));
}

for (const runtime of RUNTIMES) {
  describe(`load reports in etcd on ${runtime}`, () => {
    const zone = uniqueZone(`load-${runtime}`);
    const key = (node: string) => `golb/load/${zone}/${node}`;
    const seen = new SeenReports();
    let revision: number;
    let g1: GolbProcess;
    let g2: GolbProcess;
    const env = (node: string) => ({ eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone, eb_go_lb_node_name: node, eb_go_lb_load_report_interval: String(INTERVAL_S) });

    before(async () => {
      revision = await putKey(etcd.etcdctl, `golb/function/${zone}/echo`, value([a, b], [1, 1]));
      await seen.watch(`golb/load/${zone}/`);
      [g1, g2] = await Promise.all([startGolb(runtime, { env: env('g1') }), startGolb(runtime, { env: env('g2') })]);
    });
    after(async () => {
      await seen.watcher?.cancel();
      g1.proc.kill('SIGKILL');
      g2.proc.kill('SIGKILL');
    });

    test('both gateways of the zone publish: one prefix read of golb/load/<zone>/ shows both', async () => {
      const reports = await waitUntil('both reports in etcd', INTERVAL_S * 1000 + SLACK_MS, async () => {
        const r = await zoneReports(zone);
        return Object.keys(r).length === 2 ? r : undefined;
      });
      assert.deepEqual(Object.keys(reports).sort(), [key('g1'), key('g2')]);
      for (const node of ['g1', 'g2']) {
        const r = reports[key(node)]!;
        assert.deepEqual([r.schema, r.zone, r.node, r.part], [1, zone, node, undefined]);
        assert.ok(Math.abs(r.windowMs - INTERVAL_S * 1000) < 1_000, `a window of about the interval: ${r.windowMs} ms`);
        assert.ok(Math.abs(Date.parse(r.time) - Date.now()) < INTERVAL_S * 1000 + SLACK_MS, r.time);
      }
    });

    test('a report counts exactly the requests sent, per function and per backend', async () => {
      // Start right after g1 wrote a report, so that the requests fall in few windows.
      const before = seen.of(key('g1')).length;
      await waitUntil('a fresh report of g1', INTERVAL_S * 1000 + SLACK_MS, () => (seen.of(key('g1')).length > before ? true : undefined));
      const first = seen.of(key('g1')).length;
      for (let i = 0; i < SENT; i++) {
        const r = await fetch(`${g1.url}/function/echo/n${i}`);
        assert.equal(r.status, 200);
        await r.arrayBuffer();
      }
      const sentBy = Date.now();
      // Every report from the first after the sends began to the first that ends after the last answer.
      const windows = await waitUntil('a report ending after the last request', INTERVAL_S * 1000 + SLACK_MS, () => {
        const reports = seen.of(key('g1')).slice(first);
        const last = reports.findIndex((r) => Date.parse(r.time) >= sentBy);
        return last < 0 ? undefined : reports.slice(0, last + 1);
      });
      const sum = (pick: (r: LoadReport) => number | undefined) => windows.reduce((n, r) => n + (pick(r) ?? 0), 0);
      assert.equal(sum((r) => r.functions.echo?.requests), SENT);
      assert.equal(sum((r) => r.functions.echo?.backends[a.address]?.requests), SENT / 2, 'weights 1:1');
      assert.equal(sum((r) => r.functions.echo?.backends[b.address]?.requests), SENT / 2);
      const counted = windows.filter((r) => r.functions.echo !== undefined);
      for (const r of counted) {
        const fn = r.functions.echo!;
        assert.equal(fn.weightsRevision, revision, 'the etcd revision the weights came from');
        assert.deepEqual(fn.rejected, {});
        assert.deepEqual(fn.backends[a.address]!.errors, { refused: 0, reset: 0, timeout: 0, status5xx: 0 });
        assert.deepEqual([fn.backends[a.address]!.weight, fn.backends[a.address]!.health, fn.backends[a.address]!.gateway], [1, 'up', false]);
        assert.ok(fn.latencyMs !== null && fn.latencyMs.p50 > 0 && fn.latencyMs.p99 >= fn.latencyMs.p50, JSON.stringify(fn.latencyMs));
        assert.ok(fn.backends[a.address]!.ewmaMs > 0);
      }
      for (const r of counted) {
        const fn = r.functions.echo!;
        assert.ok(Math.abs(fn.rate - fn.requests / (r.windowMs / 1000)) < 0.05, `rate ${fn.rate} for ${fn.requests} in ${r.windowMs} ms`);
      }
      assert.ok(seen.of(key('g2')).every((r) => r.functions.echo === undefined), 'g2 served nothing');
    });

    test('a gateway killed with SIGKILL disappears within its lease; the other stays', async () => {
      assert.ok((await zoneReports(zone))[key('g2')] !== undefined);
      g2.proc.kill('SIGKILL');
      const killed = Date.now();
      await waitUntil("g2's report gone", LEASE_MS + SLACK_MS, async () => ((await zoneReports(zone))[key('g2')] === undefined ? true : undefined));
      const gone = Date.now() - killed;
      assert.ok(gone <= LEASE_MS + SLACK_MS, `gone after ${gone} ms (lease ${LEASE_MS} ms)`);
      assert.ok((await zoneReports(zone))[key('g1')] !== undefined, 'g1 keeps its report');
    });

    test('a gateway stopped cleanly takes its report out at once (its lease is revoked)', async () => {
      assert.equal(await g1.stop(), 0);
      assert.deepEqual(await zoneReports(zone), {}, 'well before the lease would run out');
      assert.doesNotMatch(g1.output(), /load report not written/);
    });
  });
}
