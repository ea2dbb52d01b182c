/**
 * The embedded source's reading rules, driven through `reload()` by hand:
 * what a missing, empty, broken or partly bad file does to the table and to
 * the warnings. Watching is stopped right after the first load, so no reload
 * of its own can interleave with the test's; tests/e2e/weights-file.test.ts
 * covers watching, except a ConfigMap's swap of `..data`, watched here
 * without the poll.
 */
import { BackendStates } from '../../../strategies/backend-state.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../app/logger.ts';
import { Warnings } from '../../../app/warnings.ts';
import { EmbeddedFileSource } from '../../../app/sources/embedded-file.ts';
import { configMapDir } from '../../support/configmap-dir.ts';
import { waitUntil } from '../../support/wait.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { STRATEGIES } from '../../../strategies/registry.ts';

/** A source on a file in a fresh directory, its table and the log lines it wrote. */
function setup() {
  const path = join(mkdtempSync(join(tmpdir(), 'golb-embedded-')), 'weights.json');
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const lines: string[] = [];
  const logger = createLogger({ mode: 'prod', node: 't', write: (line) => lines.push(line), now: () => 0 });
  const warnings = new Warnings(logger);
  const source = new EmbeddedFileSource({ path, table, logger, knownStrategies: new Set(STRATEGIES.keys()), pollIntervalMs: 60_000, warnings, workingDirectory: '/srv/golb' });
  const write = (value: unknown) => writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  const logged = (msg: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith(msg));
  /** The first load (the source is ready after it), then no more watching. */
  const start = async () => {
    await source.start();
    await source.close();
  };
  return { path, table, source, write, logged, start, warnings };
}

const one = (address: string) => ({ ips: [address], weights: [1] });
const backendsOf = (table: WeightTable, fn: string) => table.get(fn)?.backends.map((b) => b.address);

test('a missing file at start is an empty, ready table, warned of by its absolute path and the working directory until it appears', async () => {
  const { path, table, source, write, logged, start, warnings } = setup();
  await start();
  assert.equal(source.ready, true);
  assert.equal(table.size, 0);
  assert.deepEqual(logged('weights file is missing'), [], 'nothing was removed');
  const missing = `weights file ${path} does not exist (working directory /srv/golb); no function is served from it until it appears`;
  const empty = `no function loaded from the weights file ${path}: every /function/ request answers 404 until one is added`;
  assert.deepEqual(warnings.list(), [{ code: 'weights_file_missing', message: missing }, { code: 'no_functions', message: empty }]);
  assert.deepEqual(logged(`weights file ${path} does not exist`).map((l) => [l.level, l.warning, l.path, l.cwd]), [['warn', 'weights_file_missing', path, '/srv/golb']]);
  write({});
  await source.reload();
  assert.deepEqual(warnings.list(), [{ code: 'no_functions', message: empty }], 'the file is there, still without a function');
  write({ hello: one('10.0.0.1:80') });
  await source.reload();
  assert.deepEqual(warnings.list(), []);
  assert.deepEqual(backendsOf(table, 'hello'), ['10.0.0.1:80']);
});

test('a relative path is warned of as an absolute one', async () => {
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const logger = createLogger({ mode: 'prod', node: 't', write: () => undefined, now: () => 0 });
  const warnings = new Warnings(logger);
  const source = new EmbeddedFileSource({ path: 'no-such-dir-golb/weigths.json', table, logger, knownStrategies: new Set(STRATEGIES.keys()), pollIntervalMs: 60_000, warnings });
  await source.start();
  await source.close();
  assert.match(warnings.list()[0]!.message, new RegExp(`^weights file ${join(process.cwd(), 'no-such-dir-golb/weigths.json')} does not exist \\(working directory ${process.cwd()}\\)`));
});

test('reload() logs what changed, or that nothing did', async () => {
  const { table, source, write, logged, start } = setup();
  write({ a: one('10.0.0.1:80'), b: one('10.0.0.2:80'), c: one('10.0.0.3:80') });
  await start();
  write({ a: one('10.0.0.1:80'), b: one('10.0.0.9:80'), d: one('10.0.0.4:80') });
  await source.reload();
  const loaded = logged('weights loaded').at(-1)!;
  assert.deepEqual([loaded.functions, loaded.added, loaded.removed, loaded.changed], [3, 'd', 'c', 'b']);
  await source.reload();
  assert.deepEqual(logged('weights file re-read: unchanged').map((l) => l.functions), [3]);
  assert.deepEqual(table.names(), ['a', 'b', 'd']);
});

test("a ConfigMap's update (a new ..data renamed over the old) is seen by the watch, without the poll", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'golb-configmap-'));
  const cm = configMapDir(dir, { hello: one('10.0.0.1:80') });
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const logger = createLogger({ mode: 'prod', node: 't', write: () => undefined, now: () => 0 });
  // No poll within the test's time: only the watch can see the update.
  const source = new EmbeddedFileSource({ path: cm.file, table, logger, knownStrategies: new Set(STRATEGIES.keys()), pollIntervalMs: 600_000 });
  try {
    await source.start();
    assert.deepEqual(backendsOf(table, 'hello'), ['10.0.0.1:80']);
    cm.update({ hello: one('10.0.0.2:80') });
    await waitUntil('the update is applied', 5_000, () => (backendsOf(table, 'hello')?.[0] === '10.0.0.2:80' ? true : undefined));
    cm.update({ hello: one('10.0.0.3:80') });
    await waitUntil('a second update is applied', 5_000, () => (backendsOf(table, 'hello')?.[0] === '10.0.0.3:80' ? true : undefined));
  } finally {
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty file at start is an empty table', async () => {
  const { table, source, write, start } = setup();
  write('');
  await start();
  assert.equal(table.size, 0);
});

test('an empty file later keeps the table: it is the moment an in-place write has truncated', async () => {
  const { table, source, write, logged, start } = setup();
  write({ hello: one('10.0.0.1:80') });
  await start();
  write('  \n');
  await source.reload();
  assert.deepEqual(backendsOf(table, 'hello'), ['10.0.0.1:80']);
  assert.equal(logged('weights file is empty').length, 1);
  assert.equal(source.refused, 0, 'not a refused value: nothing was wrong with it');
  write({ hello: one('10.0.0.2:80') });
  await source.reload();
  assert.deepEqual(backendsOf(table, 'hello'), ['10.0.0.2:80']);
  write('{}');
  await source.reload();
  assert.equal(table.size, 0, '{} is how a writer empties the table');
});

test('a file deleted later empties the table, with a warning naming it; recreated, it applies', async () => {
  const { path, table, source, write, logged, start } = setup();
  write({ hello: one('10.0.0.1:80') });
  await start();
  rmSync(path);
  await source.reload();
  assert.equal(table.size, 0);
  assert.deepEqual(logged('weights file is missing').map((l) => [l.level, l.path]), [['warn', path]]);
  await source.reload();
  assert.equal(logged('weights file is missing').length, 1, 'said once, not on every poll');
  write('');
  await source.reload();
  assert.equal(table.size, 0);
  write({ hello: one('10.0.0.3:80') });
  await source.reload();
  assert.deepEqual(backendsOf(table, 'hello'), ['10.0.0.3:80']);
});

test('not JSON or not an object keeps the table and counts a refusal; a bad entry keeps only its own last value', async () => {
  const { table, source, write, logged, start } = setup();
  write({ a: one('10.0.0.1:80'), b: one('10.0.0.2:80') });
  await start();
  write('{"a": ');
  await source.reload();
  write('[]');
  await source.reload();
  assert.equal(source.refused, 2);
  assert.deepEqual(table.names(), ['a', 'b']);
  write({ a: { ips: ['10.0.0.9:80'], weights: [-1.5] }, b: one('10.0.0.8:80'), 'no good': one('10.0.0.7:80') });
  await source.reload();
  assert.deepEqual(backendsOf(table, 'a'), ['10.0.0.1:80'], 'a keeps its last good value');
  assert.deepEqual(backendsOf(table, 'b'), ['10.0.0.8:80'], 'b is applied');
  assert.deepEqual(table.names(), ['a', 'b']);
  assert.equal(source.refused, 4);
  const [refusal] = logged('weights entry refused; keeping its last good value');
  assert.equal(refusal?.function, 'a');
  assert.match(String(refusal?.reason), /weights\[0\] must be a number from 0/);
});

test('a file that is not valid JSON at start is warned of in /readyz (the table is empty, not "the current one"), until a good read', async () => {
  const { path, table, source, write, start, warnings } = setup();
  write('{"a": ');
  await start();
  assert.equal(table.size, 0);
  const [invalid] = warnings.list().filter((w) => w.code === 'weights_file_invalid');
  assert.match(invalid?.message ?? '', new RegExp(`^weights file ${path} is not valid JSON \\(.+\\); keeping the current table \\(0 functions\\)$`));
  write('[]');
  await source.reload();
  assert.match(warnings.list().find((w) => w.code === 'weights_file_invalid')?.message ?? '', /must hold a JSON object of functions/);
  write({ a: one('10.0.0.1:80') });
  await source.reload();
  assert.deepEqual(warnings.list(), []);
  assert.deepEqual(table.names(), ['a']);
});

test('refused entries are warned of while they last, each saying whether its last good value is kept or the function is unknown', async () => {
  const { table, source, write, logged, start, warnings } = setup();
  write({ a: one('10.0.0.1:80') });
  await start();
  write({ a: { ips: ['10.0.0.9:80'], weights: [1, 2] }, fresh: { ips: [], weights: 'x' }, ok: one('10.0.0.2:80') });
  await source.reload();
  assert.deepEqual(table.names(), ['a', 'ok']);
  const refused = warnings.list().find((w) => w.code === 'weights_entry_refused');
  assert.match(refused?.message ?? '', /: 2 entries refused \(the log says why\): a \(last good value kept\), fresh \(unknown: 404\)$/);
  assert.equal(logged('weights entry refused; no earlier good value: the function stays unknown (404)')[0]?.function, 'fresh');
  write({ a: one('10.0.0.1:80'), ok: one('10.0.0.2:80') });
  await source.reload();
  assert.deepEqual(warnings.list(), []);
});

test('a management write the file cannot take is refused, and later re-reads go on (no unhandled rejection)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'golb-embedded-'));
  const path = join(dir, 'missing-dir', 'weights.json');
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states: new BackendStates() });
  const logger = createLogger({ mode: 'prod', node: 't', write: () => undefined, now: () => 0 });
  const source = new EmbeddedFileSource({ path, table, logger, knownStrategies: new Set(STRATEGIES.keys()), pollIntervalMs: 10 });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await source.start();
    const spec = { targets: [{ address: '127.0.0.1:9', host: '127.0.0.1', port: 9, weight: 1 }], strategy: undefined };
    await assert.rejects(source.put('f', spec), { name: 'WeightsFileWriteFailed', message: `cannot write ${path}: ENOENT` });
    // Polls keep re-reading: the directory appears with a file, and it is applied.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'missing-dir'));
    writeFileSync(path, JSON.stringify({ g: one('127.0.0.1:10') }));
    for (let i = 0; i < 200 && table.get('g') === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(backendsOf(table, 'g'), ['127.0.0.1:10']);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a management write never overwrites a file that is not valid JSON (an edit in progress); the mode is kept', async () => {
  const { path, table, source, write, start } = setup();
  write({ a: one('127.0.0.1:1') });
  const { chmodSync, readFileSync, statSync } = await import('node:fs');
  chmodSync(path, 0o600);
  await start();
  const spec = { targets: [{ address: '127.0.0.1:3', host: '127.0.0.1', port: 3, weight: 1 }], strategy: undefined };
  await source.put('c', spec);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { a: one('127.0.0.1:1'), c: one('127.0.0.1:3') });
  assert.equal(statSync(path).mode & 0o777, 0o600, 'the rewrite keeps the file mode');
  const half = '{"a": {"ips": ["127.0.0.1:1"], "weights": [1]}, "b": {"ips": [';
  write(half);
  await assert.rejects(source.put('d', spec), { name: 'WeightsFileRefused', message: /not valid JSON/ });
  assert.equal(readFileSync(path, 'utf8'), half, "the operator's half-written file is untouched");
  assert.deepEqual(backendsOf(table, 'c'), ['127.0.0.1:3'], 'the table keeps its last good state');
  rmSync(join(path, '..'), { recursive: true, force: true });
});
