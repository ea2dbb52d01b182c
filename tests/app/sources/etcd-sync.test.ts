/**
 * What etcd's reads and watch events do to the table (no etcd here: the
 * end-to-end suites in tests/e2e/etcd*.test.ts drive a real one).
 */
import { BackendStates } from '../../../strategies/backend-state.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IEvent, IKeyValue } from 'etcd3';
import type { Logger } from '../../../app/logger.ts';
import { EtcdZoneSync, MAX_VALUE_BYTES } from '../../../app/sources/etcd-sync.ts';
import { WeightTable } from '../../../app/weight-table.ts';

function setup() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const sync = new EtcdZoneSync('zone-b', table, logger, new Set(['wrr', 'rr']));
  return { table, sync, lines };
}

let revision = 1;
function kv(key: string, value: string | Buffer): IKeyValue {
  const rev = String(++revision);
  return { key: Buffer.from(key), value: Buffer.isBuffer(value) ? value : Buffer.from(value), create_revision: rev, mod_revision: rev, version: '1', lease: '0' };
}
function put(key: string, value: string | Buffer): IEvent {
  return { type: 'PUT' as IEvent['type'], kv: kv(key, value), prev_kv: undefined as unknown as IKeyValue };
}
function del(key: string): IEvent {
  return { type: 'DELETE' as IEvent['type'], kv: kv(key, ''), prev_kv: undefined as unknown as IKeyValue };
}
const addresses = (t: WeightTable, fn: string) => t.get(fn)?.backends.map((b) => `${b.address}*${b.weight}`);

test("only golb/function/<zone>/<function name> keys count", () => {
  const { sync } = setup();
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-b/resnet')), 'resnet');
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-b/')), undefined);
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-b/resnet/v2')), undefined, 'deeper key');
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-bb/resnet')), undefined, 'a zone sharing the prefix');
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-c/resnet')), undefined);
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-b/-x')), undefined, 'not a function name');
  assert.equal(sync.functionOf(Buffer.from('golb/function/zone-b/a b')), undefined);
});

test("a full read makes the table exactly the store's good values", async () => {
  const { table, sync, lines } = setup();
  await sync.applySnapshot([
    kv('golb/function/zone-b/resnet', '{"ips": ["10.0.0.1"], "weights":[3]}'),
    kv('golb/function/zone-b/bad', '{"ips": ["10.0.0.1"], "weights":[3, 4]}'),
    kv('golb/function/zone-b/x/deeper', '{"ips": ["10.0.0.1"], "weights":[3]}'),
  ]);
  assert.deepEqual(table.names(), ['resnet']);
  assert.deepEqual(addresses(table, 'resnet'), ['10.0.0.1:80*3']);
  assert.equal(sync.refused, 1);
  const refusal = lines.find((l) => l.level === 'warn')!;
  assert.equal(refusal.fields.key, 'golb/function/zone-b/bad');
  assert.match(String(refusal.fields.reason), /1 entries but "weights" has 2/);
  assert.equal(refusal.fields.kept, false);
  assert.ok(lines.some((l) => l.level === 'debug' && l.fields.key === 'golb/function/zone-b/x/deeper'));

  // A later read: a function gone is removed, a bad value keeps the last good one.
  await sync.applySnapshot([
    kv('golb/function/zone-b/other', '{"ips": ["10.0.0.2:8080"], "weights":[1]}'),
    kv('golb/function/zone-b/bad', 'not json'),
  ]);
  assert.deepEqual(table.names(), ['other']);
  await sync.applySnapshot([kv('golb/function/zone-b/other', '{"ips": [""], "weights":[1]}')]);
  assert.deepEqual(addresses(table, 'other'), ['10.0.0.2:8080*1'], 'kept through a bad value in a read');
});

test('watch events: put replaces, delete removes, a bad put keeps the last good value', () => {
  const { table, sync } = setup();
  sync.applyEvents([put('golb/function/zone-b/f', '{"ips": ["a", "b"], "weights":[1, 2]}')]);
  assert.deepEqual(addresses(table, 'f'), ['a:80*1', 'b:80*2']);
  const bad = ['{"ips": ["a"], "weights":[-1]}', '{"ips": ["a"], "weights":[-1.5]}', '{"ips": ["a"], "weights":["1"]}', '{"ips": ["a"], "weights":[1], "strategy": "nope"}', '', Buffer.alloc(MAX_VALUE_BYTES + 1, 32)];
  for (const value of bad) sync.applyEvents([put('golb/function/zone-b/f', value)]);
  assert.equal(sync.refused, bad.length);
  assert.deepEqual(addresses(table, 'f'), ['a:80*1', 'b:80*2']);
  sync.applyEvents([put('golb/function/zone-b/f', '{"ips": ["c"], "weights":[5], "strategy": "rr"}')]);
  assert.deepEqual(addresses(table, 'f'), ['c:80*5']);
  assert.equal(table.get('f')!.strategy, 'rr');
  sync.applyEvents([del('golb/function/zone-b/f'), put('golb/function/zone-b/g', '{"ips": ["d"], "weights":[1]}')]);
  assert.deepEqual(table.names(), ['g']);
});

test('a huge value is refused before it is decoded', () => {
  const { table, sync, lines } = setup();
  sync.applyEvents([put('golb/function/zone-b/big', `{"ips": ["a"], "weights": [1], "pad": "${'x'.repeat(MAX_VALUE_BYTES)}"}`)]);
  assert.equal(table.get('big'), undefined);
  assert.match(String(lines.find((l) => l.level === 'warn')!.fields.reason), /more than 1048576/);
});

test("each function's revision is the mod revision of the value it serves (load reports' weightsRevision)", async () => {
  const { sync } = setup();
  const good = kv('golb/function/zone-b/f', '{"ips": ["a"], "weights":[1]}');
  await sync.applySnapshot([good, kv('golb/function/zone-b/never-good', 'nope')]);
  assert.equal(sync.revisionOf('f'), Number(good.mod_revision));
  assert.equal(sync.revisionOf('never-good'), undefined, 'not in the table');
  const update = put('golb/function/zone-b/f', '{"ips": ["b"], "weights":[1]}');
  sync.applyEvents([update]);
  assert.equal(sync.revisionOf('f'), Number(update.kv.mod_revision));
  sync.applyEvents([put('golb/function/zone-b/f', 'not json')]);
  assert.equal(sync.revisionOf('f'), Number(update.kv.mod_revision), 'a refused put: the last good value, and its revision, serve on');
  await sync.applySnapshot([kv('golb/function/zone-b/f', 'still not json')]);
  assert.equal(sync.revisionOf('f'), Number(update.kv.mod_revision), 'kept through a read (no history here)');
  sync.applyEvents([del('golb/function/zone-b/f')]);
  assert.equal(sync.revisionOf('f'), undefined);
});
