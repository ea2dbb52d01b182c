/**
 * What the etcd benchmarks share: a private etcd on free loopback ports, echo
 * backends, and golb started on a runtime against that etcd. Everything
 * started here is stopped by {@link cleanup} (also on Ctrl-C).
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ROOT, golbCommand } from './golb-command.mjs';
import { freePort, startEtcd as startEtcdProcess } from '../scripts/etcd-process.mjs';

export { ROOT, golbCommand };

const cleanups = [];
/** Stops everything started so far. */
export async function cleanup() {
  while (cleanups.length > 0) await cleanups.pop()();
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().then(() => process.exit(130)));

export { freePort };

/** Starts a one-member etcd (stopped by {@link cleanup}); resolves its client endpoint `127.0.0.1:<port>`. */
export async function startEtcd() {
  const etcd = await startEtcdProcess('bench', ['--quota-backend-bytes', String(4 * 1024 ** 3)]);
  cleanups.push(etcd.stop);
  return etcd.endpoint;
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
