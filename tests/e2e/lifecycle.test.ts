/**
 * golb's life as a process on each runtime: liveness and readiness, a
 * graceful stop on SIGTERM and SIGINT that lets a request in flight finish,
 * exit code 2 with one line for a bad setting, and the `dummy` handler.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, rawRequest, startBackend, startGolb, type Backend, type GolbProcess, type Runtime } from '../support/harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

/** How long the slow backend takes to answer. */
const SLOW_MS = 1500;
/** The drain timeout given to golb: past it golb closes what is left and still exits 0. */
const DRAIN_S = 5;
/**
 * How long a stopping golb may take once nothing is in flight: far under the
 * drain timeout, so an exit forced by it (a drain stuck on an idle keep-alive
 * connection) fails the test instead of passing late.
 */
const EXIT_MS = 2000;

/** How long golb may take to refuse a bad setting (a cold Deno start included). */
const REFUSE_MS = 20_000;

/** Starts golb with a bad setting and returns its exit, stdout and stderr lines. */
async function refused(runtime: Runtime, opts: { env?: Record<string, string>; args?: string[] }) {
  const golb = await startGolb(runtime, { ...opts, waitReady: false });
  let stdout = '';
  golb.proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exit = await waitForExit(golb.proc, REFUSE_MS).catch(async (err: Error) => {
    await golb.stop();
    throw err;
  });
  return { exit, stdout, lines: golb.output().split('\n').filter((l) => l !== '') };
}

for (const runtime of RUNTIMES) {
  describe(`lifecycle on ${runtime}`, () => {
    let slow: Backend;
    let golb: GolbProcess;

    before(async () => {
      slow = await startBackend((_req, res) => {
        setTimeout(() => res.end('slow answer'), SLOW_MS);
      });
      golb = await startGolb(runtime, {
        weights: { slow: { ips: [slow.address], weights: [1] } },
        env: { eb_go_lb_drain_timeout: String(DRAIN_S) },
      });
    });
    after(async () => {
      await golb.stop();
      await slow.close();
    });

    test('/healthz answers 200 JSON', async () => {
      const r = await fetch(`${golb.url}/healthz`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await r.json(), { status: 'ok' });
    });

    test('/readyz answers 200 once the weights are loaded', async () => {
      const r = await fetch(`${golb.url}/readyz`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await r.json(), { status: 'ready', source: 'embedded', functions: 1 });
    });

    test('SIGTERM: stops accepting, the request in flight completes with 200, then exit 0 at once', async () => {
      const started = Date.now();
      const inFlight = fetch(`${golb.url}/function/slow/`).then(async (r) => ({ status: r.status, body: await r.text(), at: Date.now() }));
      await waitUntil('the slow backend got the request', 2000, () => (slow.seen.length > 0 ? true : undefined));
      golb.proc.kill('SIGTERM');
      await waitUntil('golb logs that it drains', 2000, () => (golb.output().includes('shutting down') ? true : undefined));
      // A new connection is refused while the old request is still being served.
      assert.equal(await rawRequest(golb.port, 'GET /healthz HTTP/1.1\r\nHost: golb\r\n\r\n', 1000), '', 'nothing answers a new connection');
      assert.equal(golb.proc.exitCode, null, 'still running while the request is in flight');

      const answer = await inFlight;
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: 200, body: 'slow answer' });
      assert.ok(answer.at - started >= SLOW_MS - 50, 'the backend took its time: the request really was in flight');
      // The client keeps its connection alive (fetch does): golb must not wait on it.
      const exit = await waitForExit(golb.proc, EXIT_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, golb.output());
      assert.match(golb.output(), /stopped/);
      assert.doesNotMatch(golb.output(), /drain timeout reached/);
    });
  });

  describe(`dummy handler and SIGINT on ${runtime}`, () => {
    let golb: GolbProcess;

    before(async () => {
      golb = await startGolb(runtime, { env: { eb_go_lb_handler_type: 'dummy' } }); // no weights, no backend
    });
    after(async () => {
      await golb.stop();
    });

    test('`dummy` answers a POST with the method, stripped path and body it received', async () => {
      const r = await fetch(`${golb.url}/function/echo/some/path?x=1`, { method: 'POST', body: 'ping', headers: { 'content-type': 'text/plain', 'x-probe': 'p1' } });
      assert.equal(r.status, 200);
      const body = (await r.json()) as { function: string; method: string; path: string; body: string; headers: Record<string, string> };
      assert.deepEqual(
        { function: body.function, method: body.method, path: body.path, body: body.body },
        { function: 'echo', method: 'POST', path: '/some/path?x=1', body: 'ping' },
      );
      assert.equal(body.headers['x-probe'], 'p1');
      assert.equal(body.headers['content-type'], 'text/plain');
    });

    test('SIGINT stops golb with exit code 0', async () => {
      golb.proc.kill('SIGINT');
      const exit = await waitForExit(golb.proc, EXIT_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, golb.output());
      assert.match(golb.output(), /signal=SIGINT/);
    });
  });

  describe(`bad settings on ${runtime}`, () => {
    test('a bad variable: exit 2 and one line on stderr naming it', async () => {
      const { exit, stdout, lines } = await refused(runtime, { env: { eb_go_lb_listen_port: 'abc' } });
      assert.deepEqual(exit, { code: 2, signal: null });
      assert.deepEqual(lines, ['golb: eb_go_lb_listen_port: expected an integer from 1 to 65535, got "abc"']);
      assert.equal(stdout, '');
    });

    test('an unknown flag: exit 2 and one line on stderr naming it', async () => {
      const { exit, stdout, lines } = await refused(runtime, { args: ['--bogus'] });
      assert.deepEqual(exit, { code: 2, signal: null });
      assert.deepEqual(lines, ['golb: --bogus: unknown flag (--help lists them)']);
      assert.equal(stdout, '');
    });
  });
}
