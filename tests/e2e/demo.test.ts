/**
 * `npm start` (scripts/start-demo.mjs): golb on Bun with the demo function
 * `hello` and its built-in backend, on ports chosen by the environment; it
 * answers through golb, and SIGTERM stops golb and the backend, exit 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, freePort, rawRequest } from '../support/harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

describe('npm start: the demo', () => {
  let demo: ChildProcess;
  let out = '';
  let golbPort: number;
  let demoPort: number;

  before(async () => {
    [golbPort, demoPort] = await Promise.all([freePort(), freePort()]);
    demo = spawn(process.execPath, ['scripts/start-demo.mjs'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? ROOT,
        NO_COLOR: '1',
        eb_go_lb_listen_port: String(golbPort),
        eb_go_lb_listen_host: '127.0.0.1',
        GOLB_DEMO_PORT: String(demoPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  });
  after(() => {
    if (demo.exitCode === null) demo.kill('SIGKILL');
  });

  test('/function/hello/ answers from the demo backend through golb', async () => {
    const text = await waitUntil('the demo answers /function/hello/', 20_000, async () => {
      if (demo.exitCode !== null) throw new Error(`start-demo exited ${demo.exitCode}:\n${out}`);
      const r = await fetch(`http://127.0.0.1:${golbPort}/function/hello/greet?who=you`, { method: 'POST', body: 'hi' });
      return r.status === 200 ? r.text() : undefined;
    });
    assert.match(text, /^Hello from golb's demo function\n/);
    assert.match(text, /^method: POST$/m);
    assert.match(text, /^path: \/greet\?who=you$/m, 'golb stripped /function/hello');
    assert.match(text, /^body: 2 bytes$/m);
    assert.match(text, /^via: 1\.1 \S+$/m, 'it came through golb');
    assert.match(out, new RegExp(`try: curl http://localhost:${golbPort}/function/hello/`));
  });

  test('SIGTERM stops golb and the demo backend, exit 0', async () => {
    const weightsFile = /weights file (\S+)/.exec(out)?.[1];
    assert.ok(weightsFile !== undefined && existsSync(weightsFile), `the generated weights file is named: ${out}`);
    demo.kill('SIGTERM');
    assert.deepEqual(await waitForExit(demo, 5000), { code: 0, signal: null }, out);
    assert.match(out, /shutting down/, 'golb drained');
    assert.match(out, /INFO +stopped/);
    for (const port of [golbPort, demoPort]) assert.equal(await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 1000), '', `port ${port} is closed`);
    assert.equal(existsSync(weightsFile), false, 'the generated weights file is removed');
  });

  test("the shipped weights route hello to the demo backend's default port", async () => {
    const { DEMO_PORT } = (await import(pathToFileURL(join(ROOT, 'app/demo/hello-backend.mjs')).href)) as { DEMO_PORT: number };
    const weights = JSON.parse(readFileSync(join(ROOT, 'app/demo/weights.json'), 'utf8')) as unknown;
    assert.deepEqual(weights, { hello: { ips: [`127.0.0.1:${DEMO_PORT}`], weights: [1] } });
  });
});

describe('npm start: stopping npm itself', () => {
  let npm: ChildProcess;
  let out = '';

  after(() => {
    // Its own process group: whatever is left of the tree goes with it.
    try {
      process.kill(-npm.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  test('SIGTERM to npm (which does not pass it through `sh -c`) still stops golb and the backend', async () => {
    const [golbPort, demoPort] = await Promise.all([freePort(), freePort()]);
    npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, NO_COLOR: '1', eb_go_lb_listen_port: String(golbPort), eb_go_lb_listen_host: '127.0.0.1', GOLB_DEMO_PORT: String(demoPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil('the demo answers /function/hello/', 20_000, async () => {
      const r = await fetch(`http://127.0.0.1:${golbPort}/function/hello/`);
      await r.arrayBuffer();
      return r.status === 200 ? true : undefined;
    });
    npm.kill('SIGTERM');
    for (const port of [golbPort, demoPort]) {
      await waitUntil(`port ${port} closes`, 5000, async () => ((await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 500)) === '' ? true : undefined));
    }
    await waitUntil('golb logs that it stopped', 2000, () => (/INFO +stopped/.test(out) ? true : undefined));
  });
});
