/**
 * Management writes to the weights file, on the real file system: refused,
 * when they are requested, for a file whose owner a rewrite would break (a
 * symbolic link at either level a ConfigMap uses, a read-only file or mount),
 * with a message that says why and what to do instead, and nothing touched;
 * a write that fails anyway names the path and the errno.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeightsFileRefused, WeightsFileWriteFailed, rewriteWeightsFile, writeRefusal } from '../../../app/sources/weights-file-writer.ts';
import { configMapDir } from '../../support/configmap-dir.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'golb-writer-'));
  dirs.push(dir);
  return dir;
}
const VALUE = { hello: { ips: ['127.0.0.1:1'], weights: [1] } };
const addFn = (doc: Record<string, unknown>) => {
  doc.added = { ips: ['127.0.0.1:2'], weights: [1] };
};
/** What every refusal says to do instead. */
const INSTEAD = /edit the file \(or the ConfigMap it comes from\) instead, or run golb with etcd \(eb_go_lb_etcd_host\)/;

test('a plain writable file is written: the refusal check passes and the rewrite lands', async () => {
  const path = join(freshDir(), 'weights.json');
  writeFileSync(path, JSON.stringify(VALUE));
  assert.equal(await writeRefusal(path), undefined);
  await rewriteWeightsFile(path, addFn, 'test');
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object), ['hello', 'added']);
  assert.equal(await writeRefusal(join(freshDir(), 'absent.json')), undefined, 'a missing file in a writable directory is created');
});

test('a ConfigMap mount (weights.json -> ..data/weights.json, ..data -> ..<timestamp>) is refused; the links are untouched', async () => {
  const cm = configMapDir(freshDir(), VALUE);
  const before = cm.listing();
  await assert.rejects(rewriteWeightsFile(cm.file, addFn, 'test'), (err: unknown) => {
    assert.ok(err instanceof WeightsFileRefused);
    assert.match(err.message, new RegExp(`the weights file ${cm.file} is a symbolic link \\(a Kubernetes ConfigMap mount\\?\\)`));
    assert.match(err.message, INSTEAD);
    return true;
  });
  assert.deepEqual(cm.listing(), before, 'still links, no file left behind');
  assert.deepEqual(JSON.parse(readFileSync(cm.file, 'utf8')), VALUE);
});

test("a path through the ConfigMap's ..data link (the directory is a link) is refused", async () => {
  const cm = configMapDir(freshDir(), VALUE);
  const path = join(cm.dir, '..data', 'weights.json');
  const refusal = await writeRefusal(path);
  assert.match(refusal ?? '', /the weights file's directory .*\.\.data is a symbolic link/);
  await assert.rejects(rewriteWeightsFile(path, addFn, 'test'), WeightsFileRefused);
  assert.deepEqual(readdirSync(join(cm.dir, cm.current())), ['weights.json']);
});

test('any other symbolic link to the file is refused too', async () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'real.json'), JSON.stringify(VALUE));
  symlinkSync('real.json', join(dir, 'weights.json'));
  assert.match((await writeRefusal(join(dir, 'weights.json'))) ?? '', /is a symbolic link/);
});

test('a read-only file (no write bit: mode 0444) is refused, even for root', async () => {
  const path = join(freshDir(), 'weights.json');
  writeFileSync(path, JSON.stringify(VALUE));
  chmodSync(path, 0o444);
  await assert.rejects(rewriteWeightsFile(path, addFn, 'test'), (err: unknown) => {
    assert.ok(err instanceof WeightsFileRefused);
    assert.match(err.message, new RegExp(`the weights file ${path} is read-only \\(mode 0444\\)`));
    assert.match(err.message, INSTEAD);
    return true;
  });
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), VALUE);
});

test('a file on a read-only mount is refused (EROFS)', async (t) => {
  const dir = freshDir();
  writeFileSync(join(dir, 'weights.json'), JSON.stringify(VALUE));
  // A read-only bind mount of the directory onto itself needs privileges: skipped without them.
  const mounted = spawnSync('mount', ['--bind', '-o', 'ro', dir, dir]).status === 0 && spawnSync('mount', ['-o', 'remount,ro,bind', dir]).status === 0;
  if (!mounted) {
    spawnSync('umount', [dir]);
    t.skip('mounting needs privileges this run does not have');
    return;
  }
  try {
    const path = join(dir, 'weights.json');
    await assert.rejects(rewriteWeightsFile(path, addFn, 'test'), (err: unknown) => {
      assert.ok(err instanceof WeightsFileRefused);
      assert.match(err.message, new RegExp(`the weights file ${path} is on a read-only file system \\(EROFS\\)`));
      return true;
    });
  } finally {
    spawnSync('umount', [dir]);
  }
});

test('a write that passes the checks and fails anyway names the path and the errno', async () => {
  const dir = freshDir();
  const path = join(dir, 'weights.json');
  writeFileSync(path, JSON.stringify(VALUE));
  // The temporary file's name is taken by a directory: the write itself fails.
  mkdirSync(join(dir, '.weights.json.test.tmp'));
  await assert.rejects(rewriteWeightsFile(path, addFn, 'test'), (err: unknown) => {
    assert.ok(err instanceof WeightsFileWriteFailed);
    assert.equal(err.message, `cannot write ${path}: EISDIR`);
    return true;
  });
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), VALUE);
  const missing = join(dir, 'no-such-dir', 'weights.json');
  await assert.rejects(rewriteWeightsFile(missing, addFn, 'test'), { name: 'WeightsFileWriteFailed', message: `cannot write ${missing}: ENOENT` });
});
