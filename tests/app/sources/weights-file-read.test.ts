/**
 * The guarded read of the weights file on real files: a regular file is read,
 * anything else (a link to /dev/zero, a directory, a FIFO) and a file over the
 * cap are refused unread, saying what was found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_WEIGHTS_FILE_BYTES, readWeightsFile } from '../../../app/sources/weights-file-read.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'golb-weights-read-'));

test('a regular file is read whole, through a symbolic link too; a missing one is missing', async () => {
  const d = dir();
  const text = JSON.stringify({ hello: { ips: ['10.0.0.1:8080'], weights: [1] } });
  writeFileSync(join(d, 'weights.json'), text);
  symlinkSync(join(d, 'weights.json'), join(d, 'link.json'));
  assert.deepEqual(await readWeightsFile(join(d, 'weights.json')), { kind: 'text', text });
  assert.deepEqual(await readWeightsFile(join(d, 'link.json')), { kind: 'text', text });
  assert.deepEqual(await readWeightsFile(join(d, 'absent.json')), { kind: 'missing' });
});

test('a link to /dev/zero is refused unread as a character device', async () => {
  const d = dir();
  symlinkSync('/dev/zero', join(d, 'weights.json'));
  assert.deepEqual(await readWeightsFile(join(d, 'weights.json')), { kind: 'refused', why: 'is not a regular file', detail: 'a character device' });
});

test('a directory and a FIFO are refused (a FIFO without waiting for a writer)', async () => {
  const d = dir();
  mkdirSync(join(d, 'weights.json'));
  assert.deepEqual(await readWeightsFile(join(d, 'weights.json')), { kind: 'refused', why: 'is not a regular file', detail: 'a directory' });
  execFileSync('mkfifo', [join(d, 'fifo.json')]);
  assert.deepEqual(await readWeightsFile(join(d, 'fifo.json')), { kind: 'refused', why: 'is not a regular file', detail: 'a named pipe (FIFO)' });
});

test('the cap: exactly at it is read, one byte over is refused; the default is 16 MiB', async () => {
  const d = dir();
  writeFileSync(join(d, 'at.json'), 'x'.repeat(100));
  writeFileSync(join(d, 'over.json'), 'x'.repeat(101));
  assert.deepEqual(await readWeightsFile(join(d, 'at.json'), 100), { kind: 'text', text: 'x'.repeat(100) });
  assert.deepEqual(await readWeightsFile(join(d, 'over.json'), 100), { kind: 'refused', why: 'is larger than 100 bytes', detail: '101 bytes' });
  assert.equal(MAX_WEIGHTS_FILE_BYTES, 16 * 1024 * 1024);
  writeFileSync(join(d, 'big.json'), Buffer.alloc(MAX_WEIGHTS_FILE_BYTES + 1, 0x20));
  assert.deepEqual(await readWeightsFile(join(d, 'big.json')), { kind: 'refused', why: 'is larger than 16 MiB', detail: `${MAX_WEIGHTS_FILE_BYTES + 1} bytes` });
});

test('a file of a few hundred kilobytes is read whole', async () => {
  const d = dir();
  const text = 'y'.repeat(300_000);
  writeFileSync(join(d, 'w.json'), text);
  const read = await readWeightsFile(join(d, 'w.json'));
  assert.equal(read.kind === 'text' ? read.text.length : -1, text.length);
});
