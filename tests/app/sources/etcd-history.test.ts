/**
 * The walk back through one key's versions (`etcd-history.ts`) and what a
 * full read does with it (`etcd-sync.ts`), over a key history kept in a
 * list: the newest good version, where the walk stops (the key's creation, a
 * compacted revision, the bound), and the warning while a function is served
 * from an older value. tests/e2e/etcd-history.test.ts drives a real etcd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IEvent, IKeyValue } from 'etcd3';
import { createLogger } from '../../../app/logger.ts';
import { Warnings } from '../../../app/warnings.ts';
import { HISTORY_READS_PER_LOAD, HISTORY_VERSIONS, newestGoodVersion, type ReadKeyAt } from '../../../app/sources/etcd-history.ts';
import { EtcdZoneSync } from '../../../app/sources/etcd-sync.ts';
import { decodeFunctionValue } from '../../../app/sources/function-value.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { BackendStates } from '../../../strategies/backend-state.ts';

const KEY = 'golb/function/zone-h/f';
const good = (host: string) => JSON.stringify({ ips: [host], weights: [1] });
const BAD = '{"ips": ["a"], "weights": [1, 2]}';
const decode = (v: Buffer) => decodeFunctionValue(v.toString(), new Set(['wrr']));

/**
 * One key's versions as etcd keeps them: `values[i]` written at revision
 * `first + i` (other keys' writes take no revision here); revisions below
 * `compactedBelow` are gone. Returns the current version and a reader.
 */
function history(values: string[], opts: { first?: number; compactedBelow?: number; key?: string } = {}) {
  const first = opts.first ?? 10;
  const versions: IKeyValue[] = values.map((value, i) => ({
    key: Buffer.from(opts.key ?? KEY), value: Buffer.from(value), create_revision: String(first), mod_revision: String(first + i), version: String(i + 1), lease: '0',
  }));
  const reads: number[] = [];
  const readAt: ReadKeyAt = async (_key, revision) => {
    reads.push(revision);
    if (revision < (opts.compactedBelow ?? 0)) throw new Error('etcdserver: mvcc: required revision has been compacted');
    return versions.filter((v) => Number(v.mod_revision) <= revision).at(-1);
  };
  return { current: versions.at(-1)!, readAt, reads };
}

test('the newest good version is found, past several bad ones, reading each version once', async () => {
  const h = history([good('a'), good('b'), BAD, BAD, BAD]);
  const found = await newestGoodVersion(h.current, h.readAt, decode);
  assert.ok(found.found);
  assert.equal(found.revision, 11);
  assert.equal(found.spec.targets[0]!.address, 'b:80');
  assert.deepEqual(h.reads, [13, 12, 11]);
});

test('a key never good: the walk stops at its create revision', async () => {
  const only = history([BAD]);
  assert.deepEqual(await newestGoodVersion(only.current, only.readAt, decode), { found: false, why: 'the key has no earlier version', looked: 0 });
  assert.deepEqual(only.reads, []);
  const several = history([BAD, BAD, BAD]);
  assert.deepEqual(await newestGoodVersion(several.current, several.readAt, decode), { found: false, why: 'no earlier version is valid', looked: 2 });
});

test('a compacted revision ends the walk with the reason; another failure is thrown (the read is tried again)', async () => {
  const h = history([good('a'), BAD, BAD], { compactedBelow: 11 });
  assert.deepEqual(await newestGoodVersion(h.current, h.readAt, decode), { found: false, why: 'its history before revision 11 was compacted', looked: 1 });
  const down: ReadKeyAt = async () => {
    throw new Error('14 UNAVAILABLE: No connection established');
  };
  await assert.rejects(newestGoodVersion(h.current, down, decode), /UNAVAILABLE/);
});

test(`at most ${HISTORY_VERSIONS} earlier versions are read`, async () => {
  const h = history([good('a'), ...Array.from({ length: HISTORY_VERSIONS + 5 }, () => BAD)]);
  const lookup = await newestGoodVersion(h.current, h.readAt, decode);
  assert.deepEqual(lookup, { found: false, why: `none of its last ${HISTORY_VERSIONS} earlier versions is valid`, looked: HISTORY_VERSIONS });
  assert.equal(h.reads.length, HISTORY_VERSIONS);
});

test('a full read serves the newest good version and warns while it does; a good value written clears it', async () => {
  const lines: string[] = [];
  const logger = createLogger({ mode: 'prod', node: 't', write: (l) => lines.push(l), now: () => 0 });
  const warnings = new Warnings(logger);
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const sync = new EtcdZoneSync('zone-h', table, logger, new Set(['wrr']), warnings);
  const h = history([good('a'), BAD]);
  await sync.applySnapshot([h.current], h.readAt);
  assert.deepEqual(table.get('f')?.backends.map((b) => b.address), ['a:80']);
  const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'warn' && l.key === KEY)!;
  assert.deepEqual([line.msg, line.revision, line.served], ['etcd value refused; serving the newest good value in its history', '11', 10]);
  assert.match(String(line.reason), /"ips" has 1 entries but "weights" has 2/);
  assert.deepEqual(warnings.list(), [{ code: 'weights_from_history', message: '1 function is served from an older etcd value because the current one is refused: f (revision 10)' }]);
  const put = (value: string, revision: number): IEvent => ({
    type: 'PUT' as IEvent['type'], kv: { ...h.current, value: Buffer.from(value), mod_revision: String(revision) }, prev_kv: undefined as unknown as IKeyValue,
  });
  sync.applyEvents([put(BAD, 12)]);
  assert.equal(warnings.list().length, 1, 'still served from revision 10');
  sync.applyEvents([put(good('c'), 13)]);
  assert.deepEqual(warnings.list(), []);
  sync.applyEvents([put(BAD, 14)]);
  assert.deepEqual(warnings.list(), [{ code: 'weights_from_history', message: '1 function is served from an older etcd value because the current one is refused: f (the value before revision 14)' }], 'a bad value while running keeps the last good one, and says so');
  assert.deepEqual(table.get('f')?.backends.map((b) => b.address), ['c:80']);
});

test(`one load reads at most ${HISTORY_READS_PER_LOAD} versions in all, shared breadth first; a key past the budget is refused, and the log says why`, async () => {
  const lines: string[] = [];
  const logger = createLogger({ mode: 'prod', node: 't', write: (l) => lines.push(l), now: () => 0 });
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const sync = new EtcdZoneSync('zone-h', table, logger, new Set(['wrr']));
  const first = history([good('a'), BAD, BAD], { key: 'golb/function/zone-h/first' });
  const second = history([good('b'), BAD], { key: 'golb/function/zone-h/second', first: 20 });
  const readAt: ReadKeyAt = (key, revision) => (key.toString().endsWith('first') ? first : second).readAt(key, revision);
  const read = sync.beginRead();
  sync.decodePage(read, [first.current, second.current]);
  await sync.lookBack(read, readAt, 2);
  sync.commitSnapshot(read);
  assert.deepEqual(table.names(), ['second'], 'one read each: second found its good value, first needed two');
  assert.deepEqual([first.reads, second.reads], [[11], [20]]);
  const refusal = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.key === 'golb/function/zone-h/first')!;
  assert.equal(refusal.history, `history read 1 version back, then this load's budget of history reads (${HISTORY_READS_PER_LOAD} at most) was spent`);
});

test('20 keys with long bad histories do not spend the budget 1,000 keys needing one read each would use; the warnings count both', async () => {
  const lines: string[] = [];
  const logger = createLogger({ mode: 'prod', node: 't', write: (l) => lines.push(l), now: () => 0 });
  const warnings = new Warnings(logger);
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const sync = new EtcdZoneSync('zone-h', table, logger, new Set(['wrr']), warnings);
  const keys = new Map<string, ReturnType<typeof history>>();
  // Listed first in key order, as etcd returns them: each needs 99 reads to reach its good value.
  for (let i = 0; i < 20; i++) {
    const key = `golb/function/zone-h/a${String(i).padStart(2, '0')}`;
    keys.set(key, history([good('old'), ...Array.from({ length: 99 }, () => BAD)], { key }));
  }
  for (let i = 0; i < 1000; i++) {
    const key = `golb/function/zone-h/b${String(i).padStart(4, '0')}`;
    keys.set(key, history([good(`h${i}`), BAD], { key }));
  }
  const readAt: ReadKeyAt = (key, revision) => keys.get(key.toString())!.readAt(key, revision);
  await sync.applySnapshot([...keys.values()].map((h) => h.current), readAt);
  const reads = [...keys.values()].reduce((n, h) => n + h.reads.length, 0);
  assert.equal(reads, HISTORY_READS_PER_LOAD);
  assert.equal(table.size, 1000, 'every key needing one read is served');
  assert.ok(table.names().every((fn) => fn.startsWith('b')));
  const byCode = new Map(warnings.list().map((w) => [w.code, w.message]));
  assert.match(byCode.get('weights_from_history') ?? '', /^1000 functions are served from an older etcd value because the current one is refused: b0000 \(revision 10\), .* and 990 more$/);
  assert.match(byCode.get('etcd_functions_unknown') ?? '', /^20 functions stay unknown \(404\) because their etcd values are refused and no good earlier value was found \(the log says why\): a00, a01, .*, a09 and 10 more$/);
});
