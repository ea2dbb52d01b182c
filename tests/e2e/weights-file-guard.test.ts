/**
 * The weights file's guard end to end on each runtime: a file replaced by a
 * link to /dev/zero, or by a file over 16 MiB, is refused unread with the
 * weights_file_invalid warning saying why; the functions go on serving, golb's
 * memory stays small, and a good file applies again and clears the warning.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';

/** How long golb may take to see a change of the file (its poll is 1 s; the machine is loaded). */
const FOLLOW_MS = 5000;

/** `/readyz`'s weights_file_invalid message, or undefined when it is not raised. */
async function invalidWarning(golb: GolbProcess): Promise<string | undefined> {
  const body = (await (await fetch(`${golb.url}/readyz`)).json()) as { warnings?: { code: string; message: string }[] };
  return body.warnings?.find((w) => w.code === 'weights_file_invalid')?.message;
}

/** The status and answering port of a request for `fn`. */
async function route(golb: GolbProcess, fn: string): Promise<{ status: number; port?: number }> {
  const r = await fetch(`${golb.url}/function/${fn}/`);
  const body = (await r.json()) as { port?: number };
  return { status: r.status, port: body.port };
}

/** golb's resident memory in MiB (Linux /proc). */
function rssMiB(golb: GolbProcess): number {
  const status = readFileSync(`/proc/${golb.proc.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Replaces the weights file by `make(tmp)`'s result, atomically. */
function replace(golb: GolbProcess, make: (tmp: string) => void): void {
  const tmp = join(golb.dir, `weights.json.${process.pid}.tmp`);
  make(tmp);
  renameSync(tmp, golb.weightsFile);
}

for (const runtime of RUNTIMES) {
  describe(`the weights file's guard on ${runtime}`, () => {
    let a: Backend;
    let golb: GolbProcess;
    const good = () => ({ hello: { ips: [a.address], weights: [1] } });

    before(async () => {
      a = await startBackend();
      golb = await startGolb(runtime, { weights: good() });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
      await a.close();
    });

    test('a file over 16 MiB (valid JSON: an empty object padded with spaces) is refused unread; hello keeps serving', async () => {
      replace(golb, (tmp) => writeFileSync(tmp, Buffer.concat([Buffer.from('{'), Buffer.alloc(17 * 1024 * 1024, 0x20), Buffer.from('}')])));
      const message = await waitUntil('weights_file_invalid in /readyz', FOLLOW_MS, () => invalidWarning(golb));
      assert.match(message, /^weights file .*weights\.json is larger than 16 MiB \(\d+ bytes\); keeping the current table \(1 functions\)$/);
      assert.deepEqual(await route(golb, 'hello'), { status: 200, port: a.port });
      replace(golb, (tmp) => writeFileSync(tmp, JSON.stringify(good())));
      await waitUntil('the warning cleared', FOLLOW_MS, async () => ((await invalidWarning(golb)) === undefined ? true : undefined));
    });

    test('a link to /dev/zero is refused as a character device without reading it; memory stays small; a good file applies again', async () => {
      replace(golb, (tmp) => symlinkSync('/dev/zero', tmp));
      const message = await waitUntil('weights_file_invalid in /readyz', FOLLOW_MS, () => invalidWarning(golb));
      assert.match(message, /weights\.json is not a regular file \(a character device\); keeping the current table \(1 functions\)$/);
      // Three more polls: each would read /dev/zero without end were it read.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.ok(rssMiB(golb) < 400, `golb's memory: ${rssMiB(golb)} MiB`);
      assert.deepEqual(await route(golb, 'hello'), { status: 200, port: a.port });
      const refusals = golb.output().split('\n').filter((l) => l.includes('weights file is not a regular file'));
      assert.equal(refusals.length, 1, `logged once, not at every poll:\n${refusals.join('\n')}`);
      replace(golb, (tmp) => writeFileSync(tmp, JSON.stringify(good())));
      await waitUntil('the warning cleared', FOLLOW_MS, async () => ((await invalidWarning(golb)) === undefined ? true : undefined));
      assert.deepEqual(await route(golb, 'hello'), { status: 200, port: a.port });
    });
  });
}
