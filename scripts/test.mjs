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
// say why. So is the arm64 binary's emulation (Debian's qemu-user-static and
// libc6-arm64-cross, see arm64-emulation.mjs) when the binary's suite runs.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ARM64_PACKAGES, haveArm64Sysroot, haveQemu, nativeArm64 } from './arm64-emulation.mjs';
import { startEtcd } from './etcd-process.mjs';
import { ensureApiserver, haveGo } from './kube-apiserver.mjs';

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
if (files.some((f) => f.includes('kubernetes'))) await prepareKube();
if (files.some((f) => f.includes('binary')) && !nativeArm64()) ensureArm64Emulation();
const etcd = await startSharedEtcd();
console.log(`== tests (${files.length} files; etcd ${etcd.endpoint})`);
const status = run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { GOLB_TEST_ETCD: etcd.endpoint });
await etcd.stop();
process.exit(status);

/**
 * The Kubernetes suites need a kube-apiserver, built from Go modules once per
 * machine (scripts/kube-apiserver.mjs, minutes the first time), and kubectl
 * (Debian's kubernetes-client). Without Go they skip and say so.
 */
async function prepareKube() {
  if (!haveGo()) {
    console.log('== Go is not installed: the Kubernetes suites will skip (no kube-apiserver)');
    return;
  }
  ensureTool('kubectl', ['version', '--client'], 'kubernetes-client');
  try {
    await ensureApiserver();
  } catch (err) {
    console.error(`npm test: kube-apiserver could not be built: ${err.message}`);
  }
}

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

/** `apt-get install` of Debian packages, after `apt-get update` when the first try fails; true when they are installed. */
function aptInstall(...pkgs) {
  const install = ['install', '-y', '--no-install-recommends', ...pkgs];
  return aptGet(...install) || (aptGet('update') && aptGet(...install));
}

/**
 * Installs a Debian package when `cmd` does not run; a failure is reported but
 * not fatal (the tests needing it skip with a message).
 */
function ensureTool(cmd, versionArgs, pkg) {
  if (works(cmd, versionArgs)) return;
  console.log(`== ${cmd} is missing: installing ${pkg} with apt-get`);
  if (!aptInstall(pkg)) {
    console.error(`npm test: could not install ${pkg} (apt-get install ${pkg}); the tests that need ${cmd} will skip`);
    return;
  }
  // Debian's prometheus package may start a server on :9090; the tests never use it.
  if (pkg === 'prometheus') stopService('prometheus');
}

/** Installs what runs the arm64 binary on this machine when missing; a failure is reported, and that test skips and says why. */
function ensureArm64Emulation() {
  if (haveQemu() && haveArm64Sysroot()) return;
  console.log(`== arm64 emulation is missing: installing ${ARM64_PACKAGES.join(' and ')} with apt-get`);
  if (!aptInstall(...ARM64_PACKAGES)) console.error(`npm test: could not install ${ARM64_PACKAGES.join(' ')}; the arm64 binary's test will skip`);
}

/** Stops a system service the package may have started (its ports are never used). */
function stopService(name) {
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  for (const stop of [['systemctl', 'stop', name], ['service', name, 'stop']]) {
    const [cmd, ...args] = [...asRoot, ...stop];
    if (works(cmd, args)) return;
  }
}

/** Installs Debian's etcd when `etcd` or `etcdctl` is missing; without it the run stops. */
function ensureEtcd() {
  if (works('etcd', ['--version']) && works('etcdctl', ['version'])) return;
  console.log('== etcd is missing: installing etcd-server and etcd-client with apt-get');
  const install = ['install', '-y', '--no-install-recommends', 'etcd-server', 'etcd-client'];
  if (!aptGet(...install) && !(aptGet('update') && aptGet(...install))) {
    console.error('npm test: could not install etcd (apt-get install etcd-server etcd-client); the etcd suites need it');
    process.exit(1);
  }
  stopService('etcd');
}

/** Starts the run's etcd, stopped on Ctrl-C too; exits when it does not start. */
async function startSharedEtcd() {
  try {
    const etcd = await startEtcd('shared');
    process.on('SIGINT', () => void etcd.stop().then(() => process.exit(130)));
    process.on('SIGTERM', () => void etcd.stop().then(() => process.exit(143)));
    return etcd;
  } catch (err) {
    console.error(`npm test: ${err.message}`);
    process.exit(1);
  }
}
