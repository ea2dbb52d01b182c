/**
 * What the etcd benchmarks share: a private etcd on free loopback ports, echo
 * backends, and golb started on a runtime against that etcd. Everything
 * started here is stopped by {@link cleanup} (also on Ctrl-C).
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The project root. */
import { ROOT, golbCommand } from './golb-command.mjs';

export { ROOT, golbCommand };

const cleanups = [];
/** Stops everything started so far. */
export async function cleanup() {
  while (cleanups.length > 0) await cleanups.pop()();
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().then(() => process.exit(130)));

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a one-member etcd; resolves its client endpoint `127.0.0.1:<port>`. */
export async function startEtcd() {
  const [client, peer] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'golb-bench-etcd-'));
  const endpoint = `127.0.0.1:${client}`;
  const proc = spawn('etcd', [
    '--name', 'bench', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `http://${endpoint}`, '--advertise-client-urls', `http://${endpoint}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `bench=http://127.0.0.1:${peer}`, '--auto-compaction-retention', '0',
    '--quota-backend-bytes', String(4 * 1024 ** 3), '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  cleanups.push(async () => {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 20_000;
  while (spawnSync('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=1s', 'endpoint', 'health'], { stdio: 'ignore' }).status !== 0) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`etcd did not start on ${endpoint}`);
    await sleep(50);
  }
  return endpoint;
}

/** Starts an HTTP backend answering 200; resolves its `127.0.0.1:<port>`. */
export async function startBackend() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok\n'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `127.0.0.1:${server.address().port}`;
}


/**
 * Starts golb on `runtime` against etcd and resolves once /readyz answers 200:
 * `{ url, pid, output(), readyMs }`, `readyMs` measured from the spawn.
 */
export async function startGolb(runtime, { etcd, zone, timeoutMs = 60_000 }) {
  const port = await freePort();
  const [cmd, ...args] = golbCommand(runtime);
  const started = performance.now();
  const proc = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      DENO_DIR: process.env.DENO_DIR ?? join(ROOT, 'node_modules/.deno-cache'),
      NO_COLOR: '1',
      eb_go_lb_mode: 'prod',
      eb_go_lb_listen_host: '127.0.0.1',
      eb_go_lb_listen_port: String(port),
      eb_go_lb_etcd_host: etcd,
      eb_go_lb_zone: zone,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  cleanups.push(async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`golb (${runtime}) exited ${proc.exitCode}:\n${out}`);
    if (performance.now() - started > timeoutMs) throw new Error(`golb (${runtime}) not ready in ${timeoutMs} ms:\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  return { url, pid: proc.pid, output: () => out, readyMs: performance.now() - started };
}

/** Resident memory of a process in MiB (`VmRSS` of /proc/<pid>/status). */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** The runtime named on the command line (`--runtime deno`), bun by default. */
export function runtimeArg() {
  const i = process.argv.indexOf('--runtime');
  return i >= 0 ? process.argv[i + 1] : 'bun';
}
