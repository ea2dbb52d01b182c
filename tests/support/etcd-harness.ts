/**
 * A real etcd for end-to-end tests: Debian's `etcd` binary (`etcd-server`,
 * installed by `npm test` when missing) on free loopback ports with a
 * temporary data directory, one member or a three-member cluster. Never the
 * system's etcd on :2379.
 *
 * `npm test` starts one etcd for the whole run and passes it as
 * `GOLB_TEST_ETCD`; {@link sharedEtcd} uses it (each suite in its own zone)
 * and starts a private one when it is not set. Suites that kill, compact or
 * cluster etcd start their own with {@link startEtcd}.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './harness.ts';
import { waitForExit, waitUntil } from './wait.ts';

/** The etcd server binary. */
export const ETCD_BIN = process.env.ETCD_BIN ?? 'etcd';
/** The etcdctl binary. */
export const ETCDCTL_BIN = process.env.ETCDCTL_BIN ?? 'etcdctl';
/** How long a member may take to become healthy. */
const START_MS = 20_000;

/** One member's ports and process. */
interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  proc: ChildProcess | undefined;
  log: string;
}

/** A running etcd (one member or a cluster). */
export interface Etcd {
  /** Client endpoints, `127.0.0.1:<port>`, one per member. */
  endpoints: string[];
  /** The endpoints as `eb_go_lb_etcd_host` takes them. */
  hostSetting: string;
  /**
   * Runs `etcdctl` (API v3) against the members given (default: all) and
   * resolves its stdout; `input` goes to its stdin (a value too long for argv).
   */
  etcdctl(args: string[], opts?: { input?: string; members?: number[] }): Promise<string>;
  /** The store's current revision. */
  revision(): Promise<number>;
  /** Sends `signal` to a member (default all) and waits for it to exit. */
  kill(signal?: NodeJS.Signals, member?: number): Promise<void>;
  /** Starts a stopped member again (default all) on the same ports and data, and waits until it is healthy. */
  restart(member?: number): Promise<void>;
  /**
   * Waits until the members given (default all) serve a linearizable read: a
   * leader is elected among them (after a leader was killed, say).
   */
  healthy(members?: number[]): Promise<void>;
  /** Stops every member and removes the data. */
  stop(): Promise<void>;
  /** What the members logged. */
  logs(): string;
}

/** Options of {@link startEtcd}. */
export interface EtcdOptions {
  members?: 1 | 3;
}

function memberArgs(m: Member, cluster: string): string[] {
  return [
    '--name', m.name,
    '--data-dir', m.dataDir,
    '--listen-client-urls', `http://127.0.0.1:${m.clientPort}`,
    '--advertise-client-urls', `http://127.0.0.1:${m.clientPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
    '--initial-cluster', cluster,
    '--initial-cluster-token', `golb-test-${process.pid}`,
    '--initial-cluster-state', 'new',
    // Compaction happens only when a test asks for it.
    '--auto-compaction-retention', '0',
    // Fast elections on loopback keep a cluster's start and fail-over short.
    '--heartbeat-interval', '50',
    '--election-timeout', '500',
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
}

/** Runs etcdctl (API v3) and resolves its stdout; rejects with its stderr. */
export function etcdctl(endpoints: readonly string[], args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(ETCDCTL_BIN, [`--endpoints=${endpoints.join(',')}`, '--dial-timeout=2s', '--command-timeout=5s', ...args], {
      env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '3' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`etcdctl ${args.slice(0, 2).join(' ')} exited ${code}: ${err.trim()}`))));
    // An etcdctl that exits before reading its input (it failed fast) makes the write fail with EPIPE: its exit code tells.
    proc.stdin.on('error', () => undefined);
    proc.stdin.end(input ?? '');
  });
}

/** Starts etcd on free loopback ports and waits until every member is healthy. */
export async function startEtcd(opts: EtcdOptions = {}): Promise<Etcd> {
  const count = opts.members ?? 1;
  const root = mkdtempSync(join(tmpdir(), 'golb-etcd-'));
  const members: Member[] = [];
  for (let i = 0; i < count; i++) {
    members.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(root, `m${i}`), proc: undefined, log: '' });
  }
  const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  const endpoints = members.map((m) => `127.0.0.1:${m.clientPort}`);
  const pick = (member: number | undefined) => (member === undefined ? members : [members[member]!]);

  const launch = (m: Member): void => {
    const proc = spawn(ETCD_BIN, memberArgs(m, cluster), { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (m.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (m.log += d.toString()));
    proc.on('error', (e) => (m.log += `spawn failed: ${e.message}\n`));
    m.proc = proc;
  };
  const healthy = async (ms: readonly Member[]): Promise<void> => {
    await waitUntil(`etcd ${ms.map((m) => m.name).join(',')} healthy`, START_MS, async () => {
      for (const m of ms) {
        if (m.proc?.exitCode !== null) throw new Error(`etcd ${m.name} exited: ${m.log.slice(-2000)}`);
      }
      await etcdctl(ms.map((m) => `127.0.0.1:${m.clientPort}`), ['endpoint', 'health', '--command-timeout=1s']);
      return true;
    });
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL', member?: number): Promise<void> => {
    await Promise.all(
      pick(member).map(async (m) => {
        if (m.proc === undefined || m.proc.exitCode !== null || m.proc.signalCode !== null) return;
        m.proc.kill(signal);
        await waitForExit(m.proc, 10_000);
      }),
    );
  };

  const etcd: Etcd = {
    endpoints,
    hostSetting: endpoints.join(','),
    etcdctl: (args, o = {}) => etcdctl(o.members === undefined ? endpoints : o.members.map((i) => endpoints[i]!), args, o.input),
    async revision() {
      const out = await etcd.etcdctl(['endpoint', 'status', '-w', 'json'], { members: members.flatMap((m, i) => (m.proc?.exitCode === null && m.proc.signalCode === null ? [i] : [])) });
      const statuses = JSON.parse(out) as { Status: { header: { revision: number } } }[];
      return Math.max(...statuses.map((s) => Number(s.Status.header.revision)));
    },
    kill,
    async restart(member?: number) {
      const ms = pick(member);
      for (const m of ms) launch(m);
      await healthy(ms);
    },
    healthy: (list) => healthy(list === undefined ? members : list.map((i) => members[i]!)),
    async stop() {
      await kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
    logs: () => members.map((m) => `--- ${m.name}\n${m.log}`).join('\n'),
  };
  for (const m of members) launch(m);
  try {
    await healthy(members);
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  return etcd;
}

/**
 * The run's shared etcd (`GOLB_TEST_ETCD`, started by `npm test`), or a private
 * one when the variable is not set (a single test file run by hand). Suites on
 * it must use their own zone and must not kill or compact it.
 */
export async function sharedEtcd(): Promise<{ endpoints: string[]; hostSetting: string; etcdctl: Etcd['etcdctl']; release(): Promise<void> }> {
  const shared = process.env.GOLB_TEST_ETCD;
  if (shared !== undefined && shared !== '') {
    const endpoints = shared.split(',');
    return {
      endpoints,
      hostSetting: shared,
      etcdctl: (args, o = {}) => etcdctl(endpoints, args, o.input),
      release: async () => undefined,
    };
  }
  const own = await startEtcd();
  return { endpoints: own.endpoints, hostSetting: own.hostSetting, etcdctl: own.etcdctl, release: () => own.stop() };
}

/** A zone name no other suite or run uses. */
export function uniqueZone(label: string): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A TCP relay between golb and etcd that a test can cut: `cut()` resets every
 * relayed connection and refuses new ones until `restore()`; `stall()` makes
 * the connections open now go silent for good without closing them (a
 * half-open peer: a NAT that dropped its state), while new ones relay.
 */
export interface Relay {
  port: number;
  endpoint: string;
  /** Connections relayed so far. */
  accepted(): number;
  cut(): void;
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  silent: boolean;
}

/** Starts a {@link Relay} to `target` (`host:port`). */
export async function startRelay(target: string): Promise<Relay> {
  const [host, portText] = target.split(':') as [string, string];
  let refusing = false;
  let accepted = 0;
  const pairs = new Set<Pair>();
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const pair: Pair = { client, upstream: connect(Number(portText), host), silent: false };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    pair.upstream.on('error', drop).on('close', drop);
    client.on('data', (d: Buffer) => pair.silent || pair.upstream.write(d));
    pair.upstream.on('data', (d: Buffer) => pair.silent || client.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    accepted: () => accepted,
    cut() {
      refusing = true;
      for (const pair of pairs) {
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      }
      pairs.clear();
    },
    stall() {
      for (const pair of pairs) pair.silent = true;
    },
    restore() {
      refusing = false;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Puts `value` at `key` with etcdctl and resolves the revision it made. */
export async function putKey(ctl: Etcd['etcdctl'], key: string, value: string, members?: number[]): Promise<number> {
  // A long value goes through stdin (argv takes 128 KiB at most); `--` lets a
  // value start with "-"; etcdctl refuses an empty stdin, so '' goes in argv.
  const viaStdin = value.length > 64 * 1024;
  const args = viaStdin ? ['put', '-w', 'json', '--', key] : ['put', '-w', 'json', '--', key, value];
  const out = await ctl(args, { ...(viaStdin ? { input: value } : {}), ...(members ? { members } : {}) });
  return Number((JSON.parse(out) as { header: { revision: number } }).header.revision);
}

/** Deletes `key` with etcdctl and resolves the revision it made. */
export async function deleteKey(ctl: Etcd['etcdctl'], key: string, members?: number[]): Promise<number> {
  const out = await ctl(['del', '-w', 'json', key], members ? { members } : {});
  return Number((JSON.parse(out) as { header: { revision: number } }).header.revision);
}

/** A function value in the store form. */
export function value(backends: readonly { address: string }[], weights: readonly number[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ips: backends.map((b) => b.address), weights, ...extra });
}

/** Sends `n` requests to `fn` one after another and counts them per backend (`X-Final-Host`). */
export async function routeCounts(url: string, fn: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${url}/function/${fn}/`);
    await r.arrayBuffer();
    const host = r.status === 200 ? (r.headers.get('x-final-host') ?? '?') : `status ${r.status}`;
    counts[host] = (counts[host] ?? 0) + 1;
  }
  return counts;
}

/** One request to `fn`: the backend that answered, or `status <n>`. */
export async function routeOnce(url: string, fn: string): Promise<string> {
  const r = await fetch(`${url}/function/${fn}/`);
  await r.arrayBuffer();
  return r.status === 200 ? (r.headers.get('x-final-host') ?? '?') : `status ${r.status}`;
}

/** Waits until a request to `fn` gives `expected` (a backend address or `status <n>`). */
export async function waitRoute(url: string, fn: string, expected: string, timeoutMs: number): Promise<void> {
  let last = '';
  await waitUntil(`${fn} routes to ${expected}`, timeoutMs, async () => {
    last = await routeOnce(url, fn);
    return last === expected ? true : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${last}`);
  });
}

/** Waits until `output()` has a line matching `pattern`, and returns that line. */
export async function waitLog(output: () => string, pattern: RegExp, timeoutMs: number): Promise<string> {
  return waitUntil(`a log line matching ${pattern}`, timeoutMs, () => output().split('\n').find((l) => pattern.test(l)));
}
