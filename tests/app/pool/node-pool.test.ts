/**
 * The node pool: node addresses as the API takes them, the member set from a
 * store, fnlb's online/offline view from the nodes' health, and picks that
 * follow the members.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodePool, POOL_ENTRY, parseNode } from '../../../app/pool/node-pool.ts';
import { MemoryNodeStore } from '../../../app/pool/memory-store.ts';
import { silentLogger } from '../../../app/logger.ts';

const deps = { random: () => 0.5, now: () => 1_000 };

test('parseNode: host:port or [v6]:port, the port required, no scheme', () => {
  assert.equal(parseNode('127.0.0.1:8080'), '127.0.0.1:8080');
  assert.equal(parseNode(' fn-1.example:80 '), 'fn-1.example:80');
  assert.equal(parseNode('[::1]:8080'), '[::1]:8080');
  for (const bad of ['', 'host', '127.0.0.1', ':8080', 'host:0', 'host:65536', 'host:80x', 'http://host:80', 'a b:80', 'host:80/x', '[::1]', 'ho_st:80']) {
    assert.equal(parseNode(bad), undefined, bad);
  }
});

test('the pool follows its store: seeds, adds, removes; empty means no picker', async () => {
  const pool = new NodePool({ store: new MemoryNodeStore(['10.0.0.2:8080', '10.0.0.1:8080']), logger: silentLogger, deps });
  assert.equal(pool.size, 0, 'nothing before start');
  pool.start();
  assert.deepEqual(pool.nodes(), ['10.0.0.1:8080', '10.0.0.2:8080']);
  assert.equal(pool.kind, 'memory');
  await pool.add('10.0.0.3:8080');
  await pool.add('10.0.0.3:8080');
  assert.deepEqual(pool.nodes(), ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
  const picked = new Set<string>();
  for (let i = 0; i < 30; i++) picked.add(pool.picker()!.pick({ fn: POOL_ENTRY, key: `/r/app/${i}`, now: 1_000, tried: undefined })!.address);
  assert.ok([...picked].every((a) => pool.nodes().includes(a)));
  await pool.remove('10.0.0.2:8080');
  await pool.remove('10.0.0.9:8080');
  assert.deepEqual(pool.nodes(), ['10.0.0.1:8080', '10.0.0.3:8080']);
  await pool.remove('10.0.0.1:8080');
  await pool.remove('10.0.0.3:8080');
  assert.equal(pool.size, 0);
  assert.equal(pool.picker(), undefined);
  await pool.close();
});

test("status: fnlb's online/offline from the nodes' health", () => {
  const pool = new NodePool({ store: new MemoryNodeStore(['10.0.0.1:8080', '10.0.0.2:8080']), logger: silentLogger, deps });
  pool.start();
  assert.deepEqual(pool.status(1_000), { '10.0.0.1:8080': 'online', '10.0.0.2:8080': 'online' });
  pool.states.get('10.0.0.1:8080').healthy = false; // the prober took it out
  pool.states.get('10.0.0.2:8080').downUntil = 5_000; // a passive mark
  assert.deepEqual(pool.status(1_000), { '10.0.0.1:8080': 'offline', '10.0.0.2:8080': 'offline' });
  assert.deepEqual(pool.status(6_000), { '10.0.0.1:8080': 'offline', '10.0.0.2:8080': 'online' });
});
