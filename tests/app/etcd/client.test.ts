/**
 * One etcd client per process: the weight source and the node pool, wired as
 * `app/start.ts` wires them, follow their prefixes and write through one
 * etcd3 client, and leave it open for its owner when they close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendStates } from '../../../strategies/backend-state.ts';
import { silentLogger } from '../../../app/logger.ts';
import { EtcdSource } from '../../../app/sources/etcd.ts';
import { EtcdNodeStore, nodesPrefix } from '../../../app/pool/etcd-nodes.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { putKey, uniqueZone, value } from '../../support/etcd-harness.ts';
import { waitUntil } from '../../support/wait.ts';
import { countedClient, useSharedEtcd, world } from './follower-fixture.ts';

const shared = useSharedEtcd();

test('the weight source and the node pool share one etcd3 client', async () => {
  const etcd = shared();
  const zone = uniqueZone('one-client');
  await putKey(etcd.etcdctl, `golb/function/${zone}/f`, value([{ address: '10.0.0.1:80' }], [1]));
  const { client, made } = countedClient(etcd.endpoints);
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const source = new EtcdSource({ client, zone, table, logger: silentLogger, knownStrategies: new Set(['wrr']), random: world.random, now: world.now });
  const store = new EtcdNodeStore({ client, zone, seeds: ['10.0.0.9:8080'], logger: silentLogger, random: world.random, now: world.now });
  let nodes: string[] = [];
  try {
    store.start((n) => (nodes = [...n].sort()));
    await source.start();
    assert.deepEqual(table.names(), ['f']);
    await source.put('g', { targets: [{ address: '10.0.0.2:80', host: '10.0.0.2', port: 80, weight: 1 }], strategy: undefined });
    await waitUntil('g through the watch', 10_000, () => (table.get('g') !== undefined ? true : undefined));
    await store.add('10.0.0.8:8080');
    await putKey(etcd.etcdctl, `${nodesPrefix(zone)}10.0.0.7:8080`, '10.0.0.7:8080');
    await waitUntil('the pool followed', 10_000, () => (nodes.length === 3 ? true : undefined));
    assert.deepEqual(nodes, ['10.0.0.7:8080', '10.0.0.8:8080', '10.0.0.9:8080']);
    assert.equal(made(), 1, 'one etcd3 client in all');
  } finally {
    await store.close();
    await source.close();
  }
  const left = await client.etcd3.get(`golb/function/${zone}/f`).string();
  assert.ok(left !== null, 'the shared client is still open after its users closed');
  client.close();
});
