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
import { Warnings } from '../../../app/warnings.ts';

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

test('keys under the prefix that name no function: WARN once per key and revision, listed in a warning while they exist', async () => {
  const logged: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void logged.push({ level, msg, fields });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const warnings = new Warnings(logger);
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const sync = new EtcdZoneSync('z', table, logger, new Set(['wrr']), warnings);
  const value = '{"ips": ["10.0.0.1"], "weights": [1]}';
  const long = `golb/function/z/${'n'.repeat(254)}`;
  const bad = [kv('golb/function/z/bad name', value), kv('golb/function/z/a"b', value), kv(long, value)];
  const snapshot = [...bad, kv('golb/function/z/good', value), kv('golb/function/z/good/deeper', value)];
  const ignoredLines = () => logged.filter((l) => l.level === 'warn' && l.msg === 'etcd key ignored: not golb/function/z/<function name>');
  await sync.applySnapshot(snapshot);
  assert.deepEqual(table.names(), ['good']);
  assert.deepEqual(ignoredLines().map((l) => l.fields.key), ['golb/function/z/bad name', 'golb/function/z/a"b', `${long.slice(0, 100)}…`]);
  assert.ok(logged.some((l) => l.level === 'debug' && l.fields.key === 'golb/function/z/good/deeper'), 'a deeper key stays at DEBUG, as documented');
  const message = () => warnings.list().find((w) => w.code === 'etcd_keys_ignored')?.message;
  assert.equal(message(), `3 etcd keys under golb/function/z/ ignored, not a function name (a letter or digit, then letters, digits, . _ -, at most 253): "golb/function/z/a\\"b", "golb/function/z/bad name", ${JSON.stringify(`${long.slice(0, 100)}…`)}`);

  await sync.applySnapshot(snapshot);
  assert.equal(ignoredLines().length, 3, 'a relist logs nothing new');
  sync.applyEvents([put('golb/function/z/bad name', value)]);
  assert.equal(ignoredLines().length, 4, 'a new revision of the key is logged once');
  sync.applyEvents([del('golb/function/z/bad name'), del('golb/function/z/a"b')]);
  assert.match(message() ?? '', /^1 etcd key under golb\/function\/z\/ ignored/);
  sync.applyEvents([del(long)]);
  assert.equal(message(), undefined, 'cleared when the last one is deleted');
  await sync.applySnapshot([kv('golb/function/z/x y', value)]);
  assert.match(message() ?? '', /"golb\/function\/z\/x y"$/, 'a full read replaces the set');
  await sync.applySnapshot([kv('golb/function/z/good', value)]);
  assert.equal(message(), undefined);
});

test('a function whose only value is refused is listed as unknown (404) until a good value or a delete', () => {
  const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const warnings = new Warnings(logger);
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const sync = new EtcdZoneSync('z', table, logger, new Set(['wrr']), warnings);
  sync.applyEvents([put('golb/function/z/f', '{"ips": ["a"], "weights": [1, 2]}')]);
  assert.deepEqual(warnings.list().map((w) => w.message), ['1 function stays unknown (404) because its etcd value is refused and no good earlier value was found (the log says why): f']);
  sync.applyEvents([put('golb/function/z/f', '{"ips": ["a"], "weights": [1]}')]);
  assert.deepEqual(warnings.list(), []);
  sync.applyEvents([put('golb/function/z/g', 'nope')]);
  assert.equal(warnings.list().length, 1);
  sync.applyEvents([del('golb/function/z/g')]);
  assert.deepEqual(warnings.list(), []);
});
