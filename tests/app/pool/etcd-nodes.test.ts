/**
 * The node pool's etcd store against a real etcd: seeds put at the first
 * contact, the zone's keys read and watched (etcdctl writes arrive, other
 * zones and malformed keys are ignored), the API's add and remove stored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdNodeStore, nodesPrefix } from '../../../app/pool/etcd-nodes.ts';
import { silentLogger } from '../../../app/logger.ts';
import { sharedEtcd, uniqueZone } from '../../support/etcd-harness.ts';
import { waitUntil } from '../../support/wait.ts';

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
before(async () => {
  etcd = await sharedEtcd();
});
after(async () => {
  await etcd.release();
});

test('seeds, watched writes, ignored keys, add and remove', async () => {
  const zone = uniqueZone('pool-unit');
  const prefix = nodesPrefix(zone);
  await etcd.etcdctl(['put', `${prefix}10.0.0.5:8080`, '10.0.0.5:8080']);
  await etcd.etcdctl(['put', `${prefix}not-a-node`, 'x']);
  await etcd.etcdctl(['put', `golb/nodes/${zone}-other/10.0.0.9:8080`, 'x']);
  const store = new EtcdNodeStore({ hosts: etcd.endpoints, zone, seeds: ['10.0.0.1:8080'], logger: silentLogger, random: () => 0.5, now: Date.now });
  let current: string[] = [];
  store.start((nodes) => (current = [...nodes].sort()));
  try {
    assert.deepEqual(current, ['10.0.0.1:8080'], 'the seeds until etcd is read');
    const until = (want: string[]) => waitUntil(`pool is ${want.join(',')}`, 10_000, () => (JSON.stringify(current) === JSON.stringify(want) ? true : undefined));
    await until(['10.0.0.1:8080', '10.0.0.5:8080']);
    assert.equal((await etcd.etcdctl(['get', '--print-value-only', `${prefix}10.0.0.1:8080`])).trim(), '10.0.0.1:8080', 'the seed is in etcd');

    await etcd.etcdctl(['put', `${prefix}10.0.0.6:8080`, '10.0.0.6:8080']);
    await until(['10.0.0.1:8080', '10.0.0.5:8080', '10.0.0.6:8080']);
    await etcd.etcdctl(['del', `${prefix}10.0.0.5:8080`]);
    await until(['10.0.0.1:8080', '10.0.0.6:8080']);

    await store.add('[::1]:9000');
    assert.deepEqual(current, ['10.0.0.1:8080', '10.0.0.6:8080', '[::1]:9000'], 'applied at once');
    await store.remove('10.0.0.1:8080');
    const keys = (await etcd.etcdctl(['get', '--keys-only', '--prefix', prefix])).split('\n').filter((l) => l !== '').sort();
    assert.deepEqual(keys, [`${prefix}10.0.0.6:8080`, `${prefix}[::1]:9000`, `${prefix}not-a-node`]);
    await until(['10.0.0.6:8080', '[::1]:9000']);
  } finally {
    await store.close();
  }
});
