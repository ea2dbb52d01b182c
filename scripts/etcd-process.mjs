/**
 * A one-member etcd on free loopback ports in a temporary directory: the test
 * run's shared etcd (scripts/test.mjs) and the etcd benches' (bench/etcd-common.mjs).
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './free-port.mjs';

export { freePort };

/**
 * Starts etcd and waits until it answers (20 s at most).
 * @param {string} name the member's name, also in the directory's name
 * @param {string[]} [extraArgs] more etcd flags
 * @returns {Promise<{endpoint: string, stop: () => Promise<void>}>} `127.0.0.1:<port>`, and a stop that removes its data
 */
export async function startEtcd(name, extraArgs = []) {
  const [client, peer] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), `golb-${name}-etcd-`));
  const endpoint = `127.0.0.1:${client}`;
  const proc = spawn('etcd', [
    '--name', name, '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `http://${endpoint}`, '--advertise-client-urls', `http://${endpoint}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `${name}=http://127.0.0.1:${peer}`, '--auto-compaction-retention', '0',
    '--logger', 'zap', '--log-level', 'error', ...extraArgs,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const stop = async () => {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (spawnSync('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=1s', 'endpoint', 'health'], { stdio: 'ignore' }).status !== 0) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not start on ${endpoint}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint, stop };
}
