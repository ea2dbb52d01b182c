/**
 * `golb healthcheck` on Bun, Deno and Node: with the settings of a running
 * golb it asks that golb's /readyz (a wildcard listen host on loopback) and
 * exits 0 when ready; a listener answering 503, or none at all, is exit 1,
 * each with one line. A redirect (even to a ready golb) is not followed, a 200
 * whose body trickles is ready at once, and a body's control characters are
 * not printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { golbCommand } from '../../bench/golb-command.mjs';
import { ROOT, RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess, type Runtime } from '../support/harness.ts';

/** Runs `golb healthcheck` on `runtime` with `env`; its exit code, stdout and stderr. */
function healthcheck(runtime: Runtime, env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, ...rest] = golbCommand(runtime);
  const proc = spawn(cmd!, [...rest, 'healthcheck', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DENO_DIR: process.env.DENO_DIR ?? `${ROOT}/node_modules/.deno-cache`, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

let notReady: Backend;
/** Redirects /readyz to a ready golb's /readyz (set per runtime). */
let redirecting: Backend;
let redirectTo = '';
/** Answers 200 at once, then trickles its body and never ends it. */
let trickling: Backend;
/** Answers 503 with control characters in its body. */
let forging: Backend;
before(async () => {
  redirecting = await startBackend((_req, res) => {
    res.writeHead(302, { location: redirectTo });
    res.end();
  });
  trickling = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('{"status":');
    const drip = setInterval(() => res.write(' '), 200);
    res.on('close', () => clearInterval(drip));
  });
  forging = await startBackend((_req, res) => {
    res.statusCode = 503;
    res.end('loading\x1b[2J\r\n2026-01-01 golb healthcheck: ready\x00\x85');
  });
  // Something on a port whose /readyz answers 503, as a golb still loading does.
  notReady = await startBackend((_req, res) => {
    res.statusCode = 503;
    res.end('{"status":"loading"}');
  });
});
after(async () => {
  await Promise.all([notReady.close(), redirecting.close(), trickling.close(), forging.close()]);
});

for (const runtime of RUNTIMES) {
  describe(`golb healthcheck on ${runtime}`, () => {
    let golb: GolbProcess;
    before(async () => {
      golb = await startGolb(runtime, { weights: {} });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
    });

    test('a ready golb: exit 0, one line', async () => {
      const r = await healthcheck(runtime, { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(golb.port) });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stdout, `golb healthcheck: ready (http://127.0.0.1:${golb.port}/readyz answered 200)\n`);
      assert.equal(r.stderr, '');
    });

    test('a redirect is not followed, even to a ready golb: exit 1 naming the status and the target', async () => {
      redirectTo = `http://127.0.0.1:${golb.port}/readyz`;
      const r = await healthcheck(runtime, { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(redirecting.port) });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stderr, `golb healthcheck: not ready: http://127.0.0.1:${redirecting.port}/readyz answered 302, a redirect to ${redirectTo} (not followed: golb's /readyz does not redirect)\n`);
    });

    test('a 200 whose body trickles is ready as soon as the status is in', async () => {
      const started = Date.now();
      const r = await healthcheck(runtime, { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(trickling.port) });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stdout, `golb healthcheck: ready (http://127.0.0.1:${trickling.port}/readyz answered 200)\n`);
      // The check's own timeout is 2 s: waiting for the body would end there, not ready.
      assert.ok(Date.now() - started < 10_000);
    });

    test('control characters in a body are not printed: one line, no escape sequences', async () => {
      const r = await healthcheck(runtime, { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(forging.port) });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stderr, `golb healthcheck: not ready: http://127.0.0.1:${forging.port}/readyz answered 503 loading [2J 2026-01-01 golb healthcheck: ready\n`);
    });

    test('the wildcard listen host and fnlb\'s --listen :port are asked on loopback', async () => {
      const r = await healthcheck(runtime, { eb_go_lb_listen_host: '0.0.0.0', eb_go_lb_listen_port: String(golb.port) });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const fnlb = await healthcheck(runtime, {}, [`-listen=:${golb.port}`]);
      assert.equal(fnlb.code, 0, fnlb.stdout + fnlb.stderr);
    });

    test('not ready (503) or nothing listening: exit 1, one line saying which', async () => {
      const busy = await healthcheck(runtime, { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(notReady.port) });
      assert.equal(busy.code, 1, busy.stdout + busy.stderr);
      assert.equal(busy.stderr, `golb healthcheck: not ready: http://127.0.0.1:${notReady.port}/readyz answered 503 {"status":"loading"}\n`);
      const port = await freePort();
      const none = await healthcheck(runtime, { eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(port) });
      assert.equal(none.code, 1, none.stdout + none.stderr);
      assert.match(none.stderr, new RegExp(`^golb healthcheck: not ready: http://127\\.0\\.0\\.1:${port}/readyz: .+\n$`));
      assert.equal(none.stderr.split('\n').length, 2, 'one line');
    });
  });
}
