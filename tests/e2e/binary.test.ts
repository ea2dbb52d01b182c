/**
 * The shipped executable (Bun only): `npm run build` makes `dist/golb` with
 * `bun build --compile`; copied alone into an empty directory, far from this
 * checkout, it starts, reads its weights file and proxies. It must not carry
 * the build machine's project path: a bundled `__dirname` is baked in as that
 * absolute path and breaks the binary anywhere else (see scripts/build.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort, startBackend, type Backend } from '../support/harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

/** A compile takes about a second here; more means something is wrong with the build. */
const BUILD_MS = 60_000;

describe('the compiled binary (bun build --compile)', () => {
  let backend: Backend | undefined;
  let runDir: string | undefined;
  let weightsDir: string | undefined;
  let binary: string;

  before(async () => {
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: BUILD_MS });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
    runDir = mkdtempSync(join(tmpdir(), 'golb-binary-'));
    weightsDir = mkdtempSync(join(tmpdir(), 'golb-binary-weights-'));
    binary = join(runDir, 'golb');
    copyFileSync(join(ROOT, 'dist/golb'), binary);
    assert.deepEqual(readdirSync(runDir), ['golb'], 'only the binary is there');
    backend = await startBackend();
  });
  after(async () => {
    // Any of these may be missing when the build failed.
    await backend?.close();
    for (const dir of [runDir, weightsDir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("does not contain the build machine's project path", () => {
    const bytes = readFileSync(binary);
    for (const path of new Set([ROOT, realpathSync(ROOT)])) {
      const at = bytes.indexOf(path);
      const context = at < 0 ? '' : bytes.subarray(Math.max(0, at - 80), at + path.length + 80).toString('latin1');
      assert.equal(at, -1, `${path} found in the binary at byte ${at}: …${context}…`);
    }
  });

  test('runs alone in an empty directory: ready, proxies a request, exits 0 on SIGTERM', async () => {
    const weightsFile = join(weightsDir!, 'weights.json');
    writeFileSync(weightsFile, JSON.stringify({ hello: { ips: [backend!.address], weights: [1] } }));
    const port = await freePort();
    const golb: ChildProcess = spawn(binary, [], {
      cwd: runDir,
      // Nothing from this checkout or its tools: no NODE_PATH, no BUN_INSTALL, a plain PATH.
      env: { PATH: '/usr/bin:/bin', eb_go_lb_listen_port: String(port), eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_weights_file: weightsFile, eb_go_lb_node_name: 'golb-binary' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    golb.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    golb.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitUntil('the binary answers /readyz', 10_000, async () => {
        if (golb.exitCode !== null) throw new Error(`exited ${golb.exitCode}: ${out}`);
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        await r.arrayBuffer();
        return r.status === 200 ? true : undefined;
      });
      const r = await fetch(`http://127.0.0.1:${port}/function/hello/from/binary?x=1`);
      assert.equal(r.status, 200, out);
      const body = (await r.json()) as { port: number; url: string; headers: Record<string, string> };
      assert.equal(body.port, backend!.port);
      assert.equal(body.url, '/from/binary?x=1');
      assert.equal(body.headers.via, '1.1 golb-binary');
      assert.match(out, /runtime=bun/);
    } finally {
      golb.kill('SIGTERM');
    }
    assert.deepEqual(await waitForExit(golb, 5000), { code: 0, signal: null }, out);
  });
});
