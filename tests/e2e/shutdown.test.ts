/**
 * golb's stop as Kubernetes needs it, on each runtime: at SIGTERM `/readyz`
 * turns 503 at once while golb keeps accepting and answering for
 * `eb_go_lb_shutdown_delay`; then the port closes, the request in flight
 * finishes, and golb exits 0. A second SIGTERM ends the delay at once.
 * SIGUSR1 and SIGUSR2 are logged and ignored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

/** The shutdown delay given to golb. */
const DELAY_MS = 2000;
/** Requests started this long after SIGTERM must still be answered: the delay's timer only ever fires late. */
const SURELY_SERVING_MS = DELAY_MS - 200;
/** How long the slow backend takes: a request it holds at the delay's end keeps golb draining for a while. */
const SLOW_MS = 2000;
/** How long a stopping golb may take to exit once nothing holds it. */
const EXIT_MS = 4000;

/** One request on a new connection: its status and body, or `refused` when nothing accepts the connection. */
function newConnection(port: number, path: string): Promise<{ status: number; body: string } | 'refused' | 'cut'> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    let refused = false;
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', (err: NodeJS.ErrnoException) => (refused = err.code === 'ECONNREFUSED'));
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      if (m !== null) resolve({ status: Number(m[1]), body: out.slice(out.indexOf('\r\n\r\n') + 4) });
      else resolve(refused ? 'refused' : 'cut');
    });
    sock.write(`GET ${path} HTTP/1.1\r\nHost: golb\r\nConnection: close\r\n\r\n`);
  });
}

for (const runtime of RUNTIMES) {
  describe(`shutdown delay on ${runtime}`, () => {
    let fast: Backend;
    let slow: Backend;
    let golb: GolbProcess;

    before(async () => {
      fast = await startBackend((_req, res) => res.end('fast answer'));
      slow = await startBackend((_req, res) => void setTimeout(() => res.end('slow answer'), SLOW_MS));
      golb = await startGolb(runtime, {
        weights: { fast: { ips: [fast.address], weights: [1] }, slow: { ips: [slow.address], weights: [1] } },
        env: { eb_go_lb_shutdown_delay: `${DELAY_MS / 1000}s`, eb_go_lb_drain_timeout: '10s' },
      });
    });
    after(async () => {
      await golb.stop();
      await Promise.all([fast.close(), slow.close()]);
    });

    test('SIGTERM: /readyz 503 at once, new connections answered through the delay, then the port closes, the drain ends, exit 0', async () => {
      const killedAt = Date.now();
      golb.proc.kill('SIGTERM');
      const readyz = await waitUntil('/readyz answers 503', 1500, async () => {
        const r = await newConnection(golb.port, '/readyz');
        return r !== 'refused' && r !== 'cut' && r.status === 503 ? r : undefined;
      });
      assert.equal((JSON.parse(readyz.body) as { status: string }).status, 'stopping');
      assert.ok(Date.now() - killedAt < SURELY_SERVING_MS, 'readiness turned at once');

      // A request the slow backend holds past the delay's end keeps golb draining.
      let slowAnswer: Promise<Awaited<ReturnType<typeof newConnection>>> | undefined;
      const seen: { at: number; result: Awaited<ReturnType<typeof newConnection>> }[] = [];
      while (golb.proc.exitCode === null && Date.now() - killedAt < DELAY_MS + SLOW_MS + EXIT_MS) {
        const at = Date.now() - killedAt;
        if (slowAnswer === undefined && at >= DELAY_MS / 2) slowAnswer = newConnection(golb.port, '/function/slow/');
        seen.push({ at, result: await newConnection(golb.port, '/function/fast/') });
        await new Promise((r) => setTimeout(r, 50));
      }
      const during = seen.filter((s) => s.at < SURELY_SERVING_MS);
      assert.ok(during.length >= 5, `requests during the delay: ${during.length}`);
      for (const s of during) assert.deepEqual(s.result, { status: 200, body: 'fast answer' }, `a new connection ${s.at} ms after SIGTERM`);
      assert.ok(
        seen.some((s) => s.at >= DELAY_MS && s.result === 'refused'),
        `after the delay the port is closed while the slow request drains: ${JSON.stringify(seen.map((s) => [s.at, typeof s.result === 'string' ? s.result : s.result.status]))}`,
      );
      assert.deepEqual(await slowAnswer, { status: 200, body: 'slow answer' }, 'the request in flight at the delay end finished');
      const exit = await waitForExit(golb.proc, EXIT_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, golb.output());
      assert.ok(Date.now() - killedAt >= DELAY_MS, 'golb served the whole delay');
      assert.match(golb.output(), /shutdown.?delay/i);
      assert.doesNotMatch(golb.output(), /drain timeout reached/);
    });
  });

  describe(`a second SIGTERM during the delay on ${runtime}`, () => {
    let golb: GolbProcess;

    before(async () => {
      golb = await startGolb(runtime, { weights: {}, env: { eb_go_lb_shutdown_delay: '60s' } });
    });
    after(async () => {
      await golb.stop();
    });

    test('ends the delay at once: exit 0 long before it would have ended', async () => {
      golb.proc.kill('SIGTERM');
      await waitUntil('/readyz answers 503', 3000, async () => {
        const r = await newConnection(golb.port, '/readyz');
        return r !== 'refused' && r !== 'cut' && r.status === 503 ? true : undefined;
      });
      const secondAt = Date.now();
      golb.proc.kill('SIGTERM');
      const exit = await waitForExit(golb.proc, EXIT_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, golb.output());
      assert.ok(Date.now() - secondAt < EXIT_MS);
      assert.match(golb.output(), /second signal/);
    });
  });

  describe(`SIGUSR1 and SIGUSR2 on ${runtime}`, () => {
    let backend: Backend;
    let golb: GolbProcess;

    before(async () => {
      backend = await startBackend((_req, res) => res.end('still here'));
      golb = await startGolb(runtime, { weights: { fn: { ips: [backend.address], weights: [1] } } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
      await backend.close();
    });

    test('are logged at INFO and ignored: golb keeps serving', async () => {
      for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) {
        golb.proc.kill(signal);
        await waitUntil(`golb logs ${signal}`, 3000, () => (new RegExp(`signal ignored.*signal=${signal}`).test(golb.output()) ? true : undefined));
        assert.equal(golb.proc.exitCode, null, `still running after ${signal}`);
        assert.deepEqual(await newConnection(golb.port, '/function/fn/'), { status: 200, body: 'still here' });
      }
      assert.match(golb.output(), /INFO.*signal ignored/);
    });
  });
}
