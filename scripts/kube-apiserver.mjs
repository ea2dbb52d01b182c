#!/usr/bin/env node
/**
 * The kube-apiserver the Kubernetes tests and bench start: built once per
 * machine from Go modules and cached outside the repository.
 *
 * A temporary module requires `k8s.io/kubernetes` at {@link KUBE_VERSION} and
 * replaces each `k8s.io/*` staging module (its go.mod points them at
 * `./staging/src/...`) with the `v0.x` of the same release; `go build` then
 * makes `cmd/kube-apiserver`. The binary lands in
 * `$GOLB_KUBE_CACHE` or `$XDG_CACHE_HOME/golb` or `~/.cache/golb`, named
 * `kube-apiserver-<version>`; later runs reuse it. A progress line is printed
 * every 15 s while Go builds (minutes on two cores).
 *
 * Run alone (`node scripts/kube-apiserver.mjs`) it builds and prints the path.
 * 1.33 runs on Debian's etcd 3.4.23 (it turns the watch-progress features off
 * on an etcd before 3.4.31); the Kubernetes suites run it so. A release is
 * usable only when the module proxy has every staging module at its v0.x.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Kubernetes release built. */
export const KUBE_VERSION = '1.33.13';

/** Where built binaries are kept. */
export function cacheDir() {
  if (process.env.GOLB_KUBE_CACHE) return process.env.GOLB_KUBE_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'golb');
}

/** The cached binary's path (it may not exist yet). */
export function apiserverPath() {
  return join(cacheDir(), `kube-apiserver-${KUBE_VERSION}`);
}

/** Whether `go` runs here. */
export function haveGo() {
  const r = spawnSync('go', ['version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** Fetches text through the Go module proxy's first URL (GOPROXY). */
async function proxyText(path) {
  const env = spawnSync('go', ['env', 'GOPROXY'], { encoding: 'utf8' }).stdout.trim();
  const proxy = env.split(/[,|]/).find((p) => p.startsWith('http')) ?? 'https://proxy.golang.org';
  const res = await fetch(`${proxy.replace(/\/$/, '')}/${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} from ${proxy}`);
  return res.text();
}

/** Runs a command, printing a progress line every 15 s; rejects on failure. */
function runWithProgress(label, cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const proc = spawn(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, CGO_ENABLED: '0' } });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; if (stderr.length > 20_000) stderr = stderr.slice(-20_000); });
    const tick = setInterval(() => {
      console.log(`kube-apiserver: ${label}… ${Math.round((Date.now() - started) / 1000)} s`);
    }, 15_000);
    proc.on('exit', (code) => {
      clearInterval(tick);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${stderr}`));
    });
  });
}

/**
 * The path of a kube-apiserver binary, built first when it is not cached.
 * @returns {Promise<string>}
 */
export async function ensureApiserver() {
  const out = apiserverPath();
  if (existsSync(out)) return out;
  if (!haveGo()) throw new Error('go is not installed: cannot build kube-apiserver');
  const version = `v${KUBE_VERSION}`;
  const staging = `v0.${KUBE_VERSION.split('.').slice(1).join('.')}`;
  console.log(`kube-apiserver: building ${version} from Go modules into ${out} (once per machine; minutes)`);
  const mod = await proxyText(`k8s.io/kubernetes/@v/${version}.mod`);
  const stagingMods = [...mod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s*=>\s*\.\/staging\//gm)].map((m) => m[1]);
  if (stagingMods.length === 0) throw new Error(`no staging modules in k8s.io/kubernetes ${version}'s go.mod`);
  const dir = mkdtempSync(join(tmpdir(), 'golb-kube-build-'));
  try {
    writeFileSync(join(dir, 'go.mod'), [
      'module golb.test/kubebuild', '', 'go 1.24', '',
      `require k8s.io/kubernetes ${version}`, '',
      'replace (',
      ...stagingMods.map((m) => `\t${m} => ${m} ${staging}`),
      ')', '',
    ].join('\n'));
    mkdirSync(cacheDir(), { recursive: true });
    const tmpOut = `${out}.${process.pid}.tmp`;
    // -mod=mod resolves only what the build needs (tidy would fetch every test dependency too).
    const [major, minor] = KUBE_VERSION.split('.');
    const pkg = 'k8s.io/component-base/version';
    const ldflags = `-s -w -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}`;
    await runWithProgress('downloading modules and compiling', 'go', ['build', '-mod=mod', '-trimpath', `-ldflags=${ldflags}`, '-o', tmpOut, 'k8s.io/kubernetes/cmd/kube-apiserver'], dir);
    renameSync(tmpOut, out);
    console.log(`kube-apiserver: built ${out}`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureApiserver().then((p) => console.log(p), (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
