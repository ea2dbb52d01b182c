/**
 * The prefix follower against a real etcd: the first read and readiness, a
 * write made between the read and the watch, a compaction while cut off (a
 * fresh read that applies a delete made meanwhile), and two followers on one
 * client. Suites that cut or compact etcd use their own etcd behind a relay.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixFollower } from '../../../app/etcd/prefix-follower.ts';
import type { EtcdClient } from '../../../app/etcd/client.ts';
import { deleteKey, putKey, startEtcd, startRelay, uniqueZone, type Etcd, type Relay } from '../../support/etcd-harness.ts';
import { waitUntil } from '../../support/wait.ts';
import { copyOf, countedClient, keptLogger, lines, useSharedEtcd, world, type Copy } from './follower-fixture.ts';

/** Generous: 2 cores, other suites running beside. */
const FOLLOW_MS = 10_000;

const words = { name: 'etcd test', what: 'the prefix', kept: 'copy' };

function follower(client: EtcdClient, prefix: string, copy: Copy, logger = keptLogger().logger): PrefixFollower {
  return new PrefixFollower({ client, prefix, listener: copy, logger, world, words, backoffBaseMs: 20, backoffMaxMs: 200 });
}

function until(copy: Copy, want: string[]): Promise<true> {
  return waitUntil(`copy is ${want.join(', ')}`, FOLLOW_MS, () => (JSON.stringify(lines(copy)) === JSON.stringify(want) ? true : undefined));
}

describe('on the shared etcd', () => {
  const shared = useSharedEtcd();

  test('the first read makes the copy and readiness; other prefixes are not read; writes are followed', async () => {
    const etcd = shared();
    const prefix = `${uniqueZone('follow')}/`;
    await putKey(etcd.etcdctl, `${prefix}a`, '1');
    await putKey(etcd.etcdctl, `${prefix.slice(0, -1)}x/b`, 'elsewhere');
    const { client, made } = countedClient(etcd.endpoints);
    const copy = copyOf();
    const f = follower(client, prefix, copy);
    try {
      assert.equal(f.ready, false);
      await f.start();
      assert.equal(f.ready, true, 'ready once the first read is in');
      assert.deepEqual(lines(copy), [`${prefix}a=1`]);
      assert.equal(f.revision, copy.reads[0]);
      await putKey(etcd.etcdctl, `${prefix}b`, '2');
      const rev = await deleteKey(etcd.etcdctl, `${prefix}a`);
      await until(copy, [`${prefix}b=2`]);
      await waitUntil('the revision followed', FOLLOW_MS, () => (f.revision >= rev ? true : undefined));
      assert.equal(f.connected, true);
      assert.equal(made(), 1);
    } finally {
      await f.close();
      client.close();
    }
  });

  test('a put made between the read and the watch is not lost', async () => {
    const etcd = shared();
    const prefix = `${uniqueZone('gap')}/`;
    await putKey(etcd.etcdctl, `${prefix}before`, '1');
    const { client } = countedClient(etcd.endpoints);
    const copy = copyOf();
    let gapRevision = 0;
    // Runs after the read is in and before the watch is made: the put lands in the gap.
    copy.afterRead = async () => {
      gapRevision = await putKey(etcd.etcdctl, `${prefix}between`, '2');
    };
    const f = follower(client, prefix, copy);
    try {
      await f.start();
      assert.ok(gapRevision > copy.reads[0]!, 'the put came after the read');
      assert.equal(copy.state.has(`${prefix}between`), false, 'and was not in it');
      await until(copy, [`${prefix}before=1`, `${prefix}between=2`]);
      assert.equal(copy.reads.length, 1, 'the watch delivered it: no second read');
    } finally {
      await f.close();
      client.close();
    }
  });

  test('two followers share one client; closing them leaves it open for its owner', async () => {
    const etcd = shared();
    const zone = uniqueZone('two');
    const { client, made } = countedClient(etcd.endpoints);
    const [one, two] = [copyOf(), copyOf()];
    const [f1, f2] = [follower(client, `${zone}/one/`, one), follower(client, `${zone}/two/`, two)];
    try {
      await Promise.all([f1.start(), f2.start()]);
      await putKey(etcd.etcdctl, `${zone}/one/k`, '1');
      await putKey(etcd.etcdctl, `${zone}/two/k`, '2');
      await until(one, [`${zone}/one/k=1`]);
      await until(two, [`${zone}/two/k=2`]);
      await f1.close();
      await putKey(etcd.etcdctl, `${zone}/two/k`, '3');
      await until(two, [`${zone}/two/k=3`]);
      await client.etcd3.put(`${zone}/two/k`).value('4').exec();
      await until(two, [`${zone}/two/k=4`]);
      assert.equal(made(), 1, 'one etcd3 client for both');
    } finally {
      await f1.close();
      await f2.close();
      client.close();
    }
  });
});

describe('cut off from etcd (its own etcd behind a relay)', () => {
  let etcd: Etcd;
  let relay: Relay;
  before(async () => {
    etcd = await startEtcd();
    relay = await startRelay(etcd.endpoints[0]!);
  });
  after(async () => {
    await relay.close();
    await etcd.stop();
  });

  test('not ready while etcd is out of reach; ready with the first read once it is back', async () => {
    const prefix = `${uniqueZone('late')}/`;
    await putKey(etcd.etcdctl, `${prefix}k`, 'v');
    relay.cut();
    const { client } = countedClient([relay.endpoint]);
    const copy = copyOf();
    const f = follower(client, prefix, copy);
    try {
      let started = false;
      const starting = f.start().then(() => (started = true));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(started, false);
      assert.equal(f.ready, false);
      assert.ok(f.lastError !== undefined, 'the failure is kept');
      relay.restore();
      await starting;
      assert.equal(f.ready, true);
      assert.deepEqual(lines(copy), [`${prefix}k=v`]);
    } finally {
      relay.restore();
      await f.close();
      client.close();
    }
  });

  test("while etcd is out of reach the backoff runs on the world's timers and jitter, and close() ends it at once", async () => {
    relay.cut();
    const { client } = countedClient([relay.endpoint]);
    const sleeps: number[] = [];
    let jitters = 0;
    const timers = {
      ...world.timers,
      setTimeout: (run: () => void, ms: number) => {
        sleeps.push(ms);
        return world.timers.setTimeout(run, ms);
      },
      clearTimeout: (handle: unknown) => world.timers.clearTimeout(handle),
    };
    const random = () => {
      jitters++;
      return 0;
    };
    const f = new PrefixFollower({ client, prefix: `${uniqueZone('down')}/`, listener: copyOf(), logger: keptLogger().logger, world: { ...world, random, timers }, words, backoffBaseMs: 40, backoffMaxMs: 160 });
    try {
      void f.start();
      await waitUntil('four backoffs slept', FOLLOW_MS, () => (jitters >= 4 ? true : undefined));
      // Jitter 0 leaves half of each step: 20, 40, 80, then the cap's 80.
      assert.deepEqual(sleeps.slice(0, 4), [20, 40, 80, 80]);
      const closing = Date.now();
      await f.close();
      assert.ok(Date.now() - closing < 1_500, 'close() does not wait out a backoff or a call deadline');
      assert.equal(f.ready, false);
    } finally {
      relay.restore();
      await f.close();
      client.close();
    }
  });

  test('a compaction while cut off: a fresh read applies the delete and the puts made meanwhile, then the watch goes on', async () => {
    const zone = uniqueZone('compact');
    const prefix = `${zone}/`;
    await putKey(etcd.etcdctl, `${prefix}doomed`, '1');
    await putKey(etcd.etcdctl, `${prefix}kept`, '1');
    const { client, made } = countedClient([relay.endpoint]);
    const copy = copyOf();
    const { logger, text } = keptLogger();
    const f = follower(client, prefix, copy, logger);
    // A second follower on the same client, cut off and compacted past too: each resyncs on its own watch stream.
    const other = copyOf();
    const g = follower(client, `${zone}-other/`, other);
    try {
      await Promise.all([f.start(), g.start()]);
      await waitUntil('both watches attached', FOLLOW_MS, () => (f.connected && g.connected ? true : undefined));
      assert.deepEqual(lines(copy), [`${prefix}doomed=1`, `${prefix}kept=1`]);

      relay.cut();
      await waitUntil('the follower noticed the cut', FOLLOW_MS, () => (!f.connected ? true : undefined));
      await deleteKey(etcd.etcdctl, `${prefix}doomed`);
      await putKey(etcd.etcdctl, `${prefix}born`, '2');
      await putKey(etcd.etcdctl, `${prefix}kept`, '3');
      await putKey(etcd.etcdctl, `${zone}-other/k`, 'o');
      const rev = await putKey(etcd.etcdctl, `${zone}-noise/k`, 'x');
      await etcd.etcdctl(['compact', String(rev), '--physical']);
      assert.deepEqual(lines(copy), [`${prefix}doomed=1`, `${prefix}kept=1`], 'cut off, the copy stays');

      relay.restore();
      await until(copy, [`${prefix}born=2`, `${prefix}kept=3`]);
      assert.equal(copy.reads.length, 2, 'a second full read');
      assert.ok(copy.reads[1]! >= rev, 'at a revision after the compaction');
      assert.match(text(), /etcd test watch cancelled; reading the prefix again/);
      await until(other, [`${zone}-other/k=o`]);

      // And it watches again from the fresh read, as does the other follower.
      await putKey(etcd.etcdctl, `${prefix}born`, '4');
      await putKey(etcd.etcdctl, `${zone}-other/k`, 'p');
      await until(copy, [`${prefix}born=4`, `${prefix}kept=3`]);
      await until(other, [`${zone}-other/k=p`]);
      assert.equal(made(), 1, 'the resync took a new watch stream, not a new client');
    } finally {
      relay.restore();
      await f.close();
      await g.close();
      client.close();
    }
  });
});
