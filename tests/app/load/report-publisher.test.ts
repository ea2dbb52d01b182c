/**
 * The load report publisher against a real etcd (the run's shared one, in a
 * zone of its own): a report split into parts lands under `<node>` and
 * `<node>/<i>` on one lease of three intervals; a smaller report deletes the
 * parts it no longer has, and the first write the parts an earlier process
 * left; a clean close revokes the lease; an etcd out of reach is one WARN per
 * outage and a count per report, never a throw.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClient } from '../../../app/etcd/client.ts';
import type { Logger } from '../../../app/logger.ts';
import { LoadPublisher, leaseSeconds, reportKey } from '../../../app/load/report-publisher.ts';
import type { LoadReport } from '../../../app/load/report.ts';
import { SYSTEM_TIMERS } from '../../../app/timers.ts';
import { freePort } from '../../support/harness.ts';
import { sharedEtcd, uniqueZone } from '../../support/etcd-harness.ts';

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
before(async () => {
  etcd = await sharedEtcd();
});
after(async () => {
  await etcd.release();
});

function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  return { logger, lines };
}

function parts(zone: string, count: number, time: string): LoadReport[] {
  return Array.from({ length: count }, (_, index) => ({
    schema: 1, zone, node: 'edge-1', time, windowMs: 5000,
    ...(count > 1 ? { part: { index, count } } : {}),
    functions: { [`fn-${index}`]: { requests: 1, rate: 0.2, inFlight: 0, rejected: {}, latencyMs: null, weightsRevision: null, backends: {} } },
  }));
}

const world = { now: Date.now, random: Math.random, timers: SYSTEM_TIMERS };

test('parts under <node> and <node>/<i> on one lease; stale parts deleted; a clean close removes the report', async () => {
  const zone = uniqueZone('publisher');
  const node = reportKey(zone, 'edge-1');
  // An earlier process under this name left a bigger report's part.
  await etcd.etcdctl(['put', `${node}/5`, '{"left": "over"}']);
  const client = new EtcdClient({ hosts: etcd.endpoints, world });
  const { logger, lines } = recordingLogger();
  const publisher = new LoadPublisher({ client, zone, node: 'edge-1', intervalMs: 2_000, logger, timers: SYSTEM_TIMERS });
  try {
    const keys = async () => (await etcd.etcdctl(['get', '--keys-only', '--prefix', `golb/load/${zone}/`])).split('\n').filter((l) => l !== '');
    publisher.publish(parts(zone, 3, 't1'));
    await publisher.idle();
    assert.deepEqual(await keys(), [node, `${node}/1`, `${node}/2`], 'the earlier process part 5 is gone');
    const part2 = JSON.parse(await etcd.etcdctl(['get', '--print-value-only', `${node}/2`])) as LoadReport;
    assert.deepEqual([part2.part, part2.time, Object.keys(part2.functions)], [{ index: 2, count: 3 }, 't1', ['fn-2']]);

    // One lease for every key, of three intervals (at least 5 s).
    const leases = (await etcd.etcdctl(['get', '--prefix', `golb/load/${zone}/`, '-w', 'json']))
      .match(/"lease":\d+/g)!
      .map((l) => l.slice(8));
    assert.equal(leases.length, 3);
    assert.equal(new Set(leases).size, 1);
    const lease = BigInt(leases[0]!).toString(16);
    assert.match(await etcd.etcdctl(['lease', 'timetolive', lease]), new RegExp(`granted with TTL\\(${leaseSeconds(2_000)}s\\)`));
    assert.equal(leaseSeconds(2_000), 6);
    assert.equal(leaseSeconds(1_000), 5);

    publisher.publish(parts(zone, 1, 't2'));
    await publisher.idle();
    assert.deepEqual(await keys(), [node], 'the parts a smaller report no longer has are deleted');
    assert.equal((JSON.parse(await etcd.etcdctl(['get', '--print-value-only', node])) as LoadReport).part, undefined);
    assert.deepEqual([publisher.written, publisher.failed], [2, 0]);
    assert.deepEqual(lines.filter((l) => l.level === 'warn'), []);

    await publisher.close();
    assert.deepEqual(await keys(), [], 'the lease was revoked');
  } finally {
    client.close();
  }
});

test('an etcd out of reach: each report counted as failed, one WARN for the outage, no throw', async () => {
  const zone = uniqueZone('publisher-down');
  const client = new EtcdClient({ hosts: [`127.0.0.1:${await freePort()}`], world });
  const { logger, lines } = recordingLogger();
  const publisher = new LoadPublisher({ client, zone, node: 'edge-1', intervalMs: 1_000, logger, timers: SYSTEM_TIMERS });
  try {
    for (let i = 0; i < 3; i++) {
      publisher.publish(parts(zone, 1, `t${i}`));
      await publisher.idle();
    }
    assert.deepEqual([publisher.written, publisher.failed], [0, 3]);
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1, 'once per outage, not per report');
    assert.match(warnings[0]!.msg, /load report not written to etcd/);
    assert.equal(warnings[0]!.fields.key, reportKey(zone, 'edge-1'));
    await publisher.close();
  } finally {
    client.close();
  }
});
