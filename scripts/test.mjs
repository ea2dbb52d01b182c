#!/usr/bin/env node
// `npm test`: type check (tsc for Bun and Node code, `deno check` for the Deno
// entry), then every test file under tests/ with Node's test runner. The runner
// prints its own summary (`# pass N` / `# fail N`), so a run that tested
// nothing is visible.
//
// The etcd suites need Debian's etcd (`etcd-server`, `etcd-client`): when it
// is missing it is installed with apt-get first. One etcd on free loopback
// ports serves the whole run (GOLB_TEST_ETCD; each suite uses its own zone);
// suites that kill or compact etcd start their own. A system etcd on :2379 is
// never used.
//
// The observability suites need `promtool` (Debian's `prometheus`) to check
// /metrics and Chromium (Debian's `chromium`) to load the dashboard: each is
// installed with apt-get when missing; when that fails those tests skip and
// say why.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules/.bin', name);
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
};

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return testFiles(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const only = process.argv.slice(2);
if (only.length === 0) {
  console.log('== type check');
  if (run(bin('tsc'), ['-p', 'tsconfig.json']) !== 0) process.exit(1);
  if (run(join(root, 'node_modules/deno/deno'), ['check', '--quiet', 'app/main.deno.ts'], { NO_COLOR: '1' }) !== 0) process.exit(1);
}
const files = only.length > 0 ? only : testFiles(join(root, 'tests')).sort();
ensureEtcd();
ensureTool('promtool', ['--version'], 'prometheus');
ensureTool('chromium', ['--version'], 'chromium');
const etcd = await startEtcd();
console.log(`== tests (${files.length} files; etcd ${etcd.endpoint})`);
const status = run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { GOLB_TEST_ETCD: etcd.endpoint });
await etcd.stop();
process.exit(status);

/** True when a command runs and exits 0. */
function works(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** `apt-get <args>` as root or through sudo; true when it succeeded. */
function aptGet(...args) {
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const [cmd, ...rest] = [...asRoot, 'apt-get', ...args];
  return run(cmd, rest, { DEBIAN_FRONTEND: 'noninteractive' }) === 0;
}

/**
 * Installs a Debian package when `cmd` does not run; a failure is reported but
 * not fatal (the tests needing it skip with a message).
 */
function ensureTool(cmd, versionArgs, pkg) {
  if (works(cmd, versionArgs)) return;
  console.log(`== ${cmd} is missing: installing ${pkg} with apt-get`);
  const install = ['install', '-y', '--no-install-recommends', pkg];
  if (!aptGet(...install) && !(aptGet('update') && aptGet(...install))) {
    console.error(`npm test: could not install ${pkg} (apt-get install ${pkg}); the tests that need ${cmd} will skip`);
    return;
  }
  // Debian's prometheus package may start a server on :9090; the tests never use it.
  if (pkg === 'prometheus') for (const stop of [['systemctl', 'stop', 'prometheus'], ['service', 'prometheus', 'stop']]) if (works(stop[0], stop.slice(1))) break;
}

/** Installs Debian's etcd when `etcd` or `etcdctl` is missing (apt-get, as root or through sudo). */
function ensureEtcd() {
  if (works('etcd', ['--version']) && works('etcdctl', ['version'])) return;
  console.log('== etcd is missing: installing etcd-server and etcd-client with apt-get');
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (...args) => {
    const [cmd, ...rest] = [...asRoot, 'apt-get', ...args];
    return run(cmd, rest, { DEBIAN_FRONTEND: 'noninteractive' }) === 0;
  };
  const packages = ['install', '-y', '--no-install-recommends', 'etcd-server', 'etcd-client'];
  if (!apt(...packages) && !(apt('update') && apt(...packages))) {
    console.error('npm test: could not install etcd (apt-get install etcd-server etcd-client); the etcd suites need it');
    process.exit(1);
  }
  // The package may start a system etcd on :2379; the tests never use it.
  for (const stop of [['systemctl', 'stop', 'etcd'], ['service', 'etcd', 'stop']]) {
    const [cmd, ...args] = [...asRoot, ...stop];
    if (works(cmd, args)) break;
  }
}

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the run's etcd in a temporary directory and waits until it answers. */
async function startEtcd() {
  const [client, peer] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'golb-test-etcd-'));
  const endpoint = `127.0.0.1:${client}`;
  const proc = spawn('etcd', [
    '--name', 'shared', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `http://${endpoint}`, '--advertise-client-urls', `http://${endpoint}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `shared=http://127.0.0.1:${peer}`, '--auto-compaction-retention', '0',
    '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const stop = async () => {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  process.on('SIGTERM', () => void stop().then(() => process.exit(143)));
  const deadline = Date.now() + 20_000;
  while (!works('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=1s', 'endpoint', 'health'])) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      console.error(`npm test: etcd did not start on ${endpoint}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint, stop };
}
