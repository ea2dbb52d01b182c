/**
 * The embedded weights file end to end on each runtime: read at start,
 * followed after in-place and atomic (temporary file, then rename) rewrites,
 * bad input refused without losing what serves, a missing or deleted file
 * as an empty table warned of in `/readyz` until it appears, and the WRR
 * rotation kept across updates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';

/** How long golb may take to follow a change of the file (SPEC: "whenever it changes"). */
const FOLLOW_MS = 2000;

/** One function value as the file holds it. */
const entry = (backends: Backend[], weights: unknown[]) => ({ ips: backends.map((b) => b.address), weights });

/** Where a request for `fn` went: the backend's port, or the error code and status. */
async function route(golb: GolbProcess, fn: string): Promise<{ status: number; port?: number; error?: string }> {
  const r = await fetch(`${golb.url}/function/${fn}/`);
  const body = (await r.json()) as { port?: number; error?: string };
  return { status: r.status, port: body.port, error: body.error };
}

/** Waits until a request for `fn` is answered by `backend` (or, with `undefined`, is a 404). */
async function followed(golb: GolbProcess, fn: string, backend: Backend | undefined): Promise<void> {
  const want = backend === undefined ? `${fn} → 404` : `${fn} → :${backend.port}`;
  await waitUntil(want, FOLLOW_MS, async () => {
    const r = await route(golb, fn);
    if (backend === undefined) return r.status === 404 && r.error === 'unknown_function' ? true : undefined;
    return r.status === 200 && r.port === backend.port ? true : undefined;
  });
}

/** Asserts the next `n` requests for `fn` all reach `backend`. */
async function allTo(golb: GolbProcess, fn: string, backend: Backend, n = 4): Promise<void> {
  for (let i = 0; i < n; i++) assert.deepEqual(await route(golb, fn), { status: 200, port: backend.port, error: undefined }, `${fn} request ${i}`);
}

/** Replaces the file the way tools that care do: a temporary file beside it, then rename. */
function writeAtomically(golb: GolbProcess, weights: unknown): void {
  const tmp = join(golb.dir, `weights.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(weights));
  renameSync(tmp, golb.weightsFile);
}

/** `/readyz`: its status, its body, and the codes of the warnings it lists. */
async function readyz(golb: GolbProcess) {
  const r = await fetch(`${golb.url}/readyz`);
  const body = (await r.json()) as { status: string; functions: number; warnings?: { code: string; message: string }[] };
  return { status: r.status, body, codes: (body.warnings ?? []).map((w) => w.code) };
}

/** The log lines that mention `needle`. */
const linesWith = (golb: GolbProcess, ...needles: string[]) =>
  golb.output().split('\n').filter((line) => needles.every((n) => line.includes(n)));

/** Waits for a log line containing every needle; returns it. */
const logged = (golb: GolbProcess, ...needles: string[]) =>
  waitUntil(`a log line with ${needles.join(' + ')}`, FOLLOW_MS, () => linesWith(golb, ...needles).at(-1));

for (const runtime of RUNTIMES) {
  describe(`weights file on ${runtime}`, () => {
    let a: Backend;
    let b: Backend;
    let c: Backend;
    let golb: GolbProcess;

    before(async () => {
      [a, b, c] = await Promise.all([startBackend(), startBackend(), startBackend()]);
      golb = await startGolb(runtime, { weights: { hello: entry([a, b], [1, 0]) } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    test('the file is read at start', async () => {
      await allTo(golb, 'hello', a);
      const ready = await fetch(`${golb.url}/readyz`);
      assert.deepEqual(await ready.json(), { status: 'ready', source: 'embedded', functions: 1 });
    });

    test('an in-place rewrite is followed: weights change, a function is added, one is removed', async () => {
      golb.writeWeights({ hello: entry([a, b], [0, 1]), added: entry([c], [1]) });
      await followed(golb, 'added', c);
      await allTo(golb, 'hello', b);
      golb.writeWeights({ added: entry([c], [1]) });
      await followed(golb, 'hello', undefined);
      await allTo(golb, 'added', c);
    });

    test('an atomic rewrite (temporary file, then rename) is followed the same way', async () => {
      writeAtomically(golb, { hello: entry([a, b], [1, 0]), added: entry([c], [1]) });
      await followed(golb, 'hello', a);
      await allTo(golb, 'hello', a);
      writeAtomically(golb, { hello: entry([a, b], [0, 1]), renamed: entry([c], [1]) });
      await followed(golb, 'renamed', c);
      await allTo(golb, 'hello', b);
      await followed(golb, 'added', undefined);
      // A second rename over the same path: the watch is on the directory, not the replaced inode.
      writeAtomically(golb, { hello: entry([a], [1]) });
      await followed(golb, 'hello', a);
      await followed(golb, 'renamed', undefined);
    });

    test('a file that is not JSON, not an object or empty keeps every function serving, and says why', async () => {
      golb.writeWeights({ hello: entry([a], [1]), other: entry([b], [1]) });
      await followed(golb, 'other', b);
      const broken = [
        { text: '{"hello": {"ips": ["127.0.0.1:1"], "weights": [1]}, "other": ', says: 'weights file is not valid JSON' },
        { text: '["hello"]', says: 'weights file must hold a JSON object of functions' },
        // What a reader sees between the truncation and the write of an in-place rewrite.
        { text: '', says: 'weights file is empty' },
      ];
      for (const { text, says } of broken) {
        const before = linesWith(golb, says).length;
        golb.writeWeights(text);
        await waitUntil(`a new log line "${says}"`, FOLLOW_MS, () => (linesWith(golb, says).length > before ? true : undefined));
        assert.ok(linesWith(golb, says).at(-1)!.includes(golb.weightsFile), 'the line names the file');
        await allTo(golb, 'hello', a, 2);
        await allTo(golb, 'other', b, 2);
      }
      // Fixed again: applied as usual.
      golb.writeWeights({ hello: entry([c], [1]) });
      await followed(golb, 'hello', c);
      await followed(golb, 'other', undefined);
    });

    test('a bad entry is refused with its reason and keeps its last good backends; good entries of the same write apply', async () => {
      const bad: Record<string, { value: unknown; reason: RegExp }> = {
        lengths: { value: entry([b, c], [1]), reason: /\\?"ips\\?" has 2 entries but \\?"weights\\?" has 1/ },
        negative: { value: entry([b], [-1]), reason: /weights\[0\] must be a number from 0 to \d+, got \\?"-1/ },
        fractional: { value: entry([b], [-1.5]), reason: /weights\[0\] must be a number from 0 to \d+, got \\?"-1\.5/ },
        letters: { value: entry([b], ['abc']), reason: /weights\[0\] must be a number from 0 to \d+, got \\?"abc/ },
        emptyaddr: { value: { ips: [''], weights: [1] }, reason: /ips\[0\]: empty address/ },
      };
      const good = Object.fromEntries(Object.keys(bad).map((fn) => [fn, entry([a], [1])]));
      golb.writeWeights({ ...good, fine: entry([a], [1]) });
      for (const fn of Object.keys(bad)) await followed(golb, fn, a);

      golb.writeWeights({
        ...Object.fromEntries(Object.entries(bad).map(([fn, { value }]) => [fn, value])),
        'bad name!': entry([b], [1]),
        newbad: entry([b], [-1]),
        fine: entry([b], [1]),
      });
      await followed(golb, 'fine', b);
      for (const [fn, { reason }] of Object.entries(bad)) {
        const line = await logged(golb, 'weights entry refused', `function=${fn} `);
        assert.match(line, reason, `${fn}: ${line}`);
        assert.match(line, /kept=true/, `${fn}: ${line}`);
        await allTo(golb, fn, a, 2);
      }
      await logged(golb, 'weights entry refused: bad function name', 'function="bad name!"');
      // Refused and never good before: there is nothing to keep.
      assert.match(await logged(golb, 'weights entry refused', 'function=newbad '), /kept=false/);
      assert.equal((await route(golb, 'newbad')).status, 404);

      // A later good value replaces the kept one.
      golb.writeWeights({ negative: entry([c], [1]) });
      await followed(golb, 'negative', c);
      await followed(golb, 'fine', undefined);
    });

    test('a weights update keeps the WRR rotation instead of restarting it', async () => {
      const marker = async (n: number, weights: [number, number]) => {
        golb.writeWeights({ rot: entry([a, b], weights), [`marker${n}`]: entry([c], [1]) });
        await followed(golb, `marker${n}`, c);
      };
      await marker(1, [1, 1]);
      assert.equal((await route(golb, 'rot')).port, a.port, 'a fresh 1:1 rotation starts with a');
      await marker(2, [1, 1]); // same weights, other text: the picker is kept
      assert.equal((await route(golb, 'rot')).port, b.port, 'continues with b, not a restart at a');
      assert.equal((await route(golb, 'rot')).port, a.port);
      await marker(3, [2, 2]); // new weights, same ratio: continues at the same point of the period
      assert.equal((await route(golb, 'rot')).port, b.port, 'continues with b after a weights change');
      assert.equal((await route(golb, 'rot')).port, a.port);
    });

    test('deleting the file empties the table (a missing file is an empty table); recreating it restores', async () => {
      golb.writeWeights({ hello: entry([a], [1]) });
      await followed(golb, 'hello', a);
      rmSync(golb.weightsFile);
      await followed(golb, 'hello', undefined);
      assert.ok((await logged(golb, 'weights file is missing')).includes(golb.weightsFile), 'the line names the file');
      const ready = await readyz(golb);
      assert.equal(ready.status, 200, 'still ready: an empty table is a loaded table');
      assert.deepEqual({ ...ready.body, warnings: ready.codes }, { status: 'ready', source: 'embedded', functions: 0, warnings: ['weights_file_missing', 'no_functions'] });
      writeAtomically(golb, { hello: entry([b], [1]) });
      await followed(golb, 'hello', b);
      assert.deepEqual((await readyz(golb)).body, { status: 'ready', source: 'embedded', functions: 1 }, 'the warnings are cleared');
    });

    test('in-place rewrites under traffic never make a function disappear', async () => {
      golb.writeWeights({ hello: entry([a], [1]), tick: entry([b], [0]) });
      await followed(golb, 'hello', a);
      let writes = 0;
      const failures: string[] = [];
      let writing = true;
      const writer = (async () => {
        // Each write differs (the drained weight), so each one is re-read and applied.
        while (writing) {
          golb.writeWeights({ hello: entry([a], [1]), tick: entry([b], [++writes % 1000]) });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const until = Date.now() + 1500;
      let requests = 0;
      while (Date.now() < until) {
        const r = await route(golb, 'hello');
        requests++;
        if (r.status !== 200) failures.push(`${r.status} ${r.error}`);
      }
      writing = false;
      await writer;
      assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed during ${writes} in-place writes`);
    });
  });

  describe(`weights file missing at start on ${runtime}`, () => {
    let a: Backend;
    let golb: GolbProcess;

    before(async () => {
      a = await startBackend();
      golb = await startGolb(runtime); // no weights: the file does not exist
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await a.close();
    });

    test("is an empty table: ready, 404 for any function, and a warning in /readyz naming the absolute path and golb's working directory", async () => {
      const ready = await readyz(golb);
      assert.equal(ready.status, 200, 'a warning never makes golb unready');
      const missing = `weights file ${golb.weightsFile} does not exist (working directory ${ROOT}); no function is served from it until it appears`;
      assert.deepEqual(ready.body.warnings?.[0], { code: 'weights_file_missing', message: missing });
      assert.deepEqual(ready.codes, ['weights_file_missing', 'no_functions']);
      for (const fn of ['hello', 'x', 'weights']) assert.deepEqual(await route(golb, fn), { status: 404, port: undefined, error: 'unknown_function' });
      assert.match(await logged(golb, 'WARN', 'does not exist'), new RegExp(`warning=weights_file_missing path=${golb.weightsFile} cwd=${ROOT}`));
      assert.doesNotMatch(golb.output(), /ERROR/);
    });

    test('the file created later is followed, and the warnings are gone', async () => {
      writeAtomically(golb, { hello: entry([a], [1]) });
      await followed(golb, 'hello', a);
      assert.deepEqual((await readyz(golb)).body, { status: 'ready', source: 'embedded', functions: 1 });
      await logged(golb, 'warning cleared', 'warning=weights_file_missing');
    });
  });
}
