/**
 * The node pool in etcd, shared by every gateway of the zone: one key per
 * node, `golb/nodes/<zone>/<host:port>` (the value is the address again, for
 * readability). A node added through one gateway's API is a put there and
 * reaches every gateway of the zone through its watch.
 *
 * `--nodes` with etcd: the seeds are put into etcd when golb first reaches it
 * (as fnlb put its `--nodes` into its database at start), so they join the
 * zone's shared pool; until that first read the pool is the seeds alone, so a
 * gateway that cannot reach etcd at start still serves them. A node deleted
 * through the API is gone for the whole zone until a gateway started with it
 * in `--nodes` starts again.
 *
 * The loop: put the seeds (once), read the prefix (revision R), watch from
 * R+1. Any trouble — the watch lost, cancelled (compaction), a failed call —
 * drops the client, waits a backoff with jitter, and starts again with a
 * fresh read: a pool is a handful of keys, so a full read is cheap and
 * sidesteps every question of which revision to resume from.
 * @module
 */
import { Etcd3, type IWatchResponse } from 'etcd3';
import type { Logger } from '../logger.ts';
import { SYSTEM_TIMERS } from '../deps.ts';
import { GRPC_OPTIONS, CALL_TIMEOUT_MS } from '../etcd/client.ts';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS } from '../etcd/prefix-follower.ts';
import { hostBreaker } from '../etcd/host-breaker.ts';
import { parseNode, type NodeStore } from './node-pool.ts';
import { WakeableSleep, jitteredBackoff } from '../etcd/backoff.ts';

/** The key prefix of a zone's pool nodes. */
export function nodesPrefix(zone: string): string {
  return `golb/nodes/${zone}/`;
}

/** Options of {@link EtcdNodeStore}. */
export interface EtcdNodeStoreOptions {
  hosts: readonly string[];
  zone: string;
  /** `--nodes`, canonical `host:port`: put into etcd at the first contact. */
  seeds: readonly string[];
  logger: Logger;
  /** Jitter source in [0, 1). */
  random: () => number;
  /** Wall-clock milliseconds (call deadlines). */
  now: () => number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** A {@link NodeStore} in etcd. */
export class EtcdNodeStore implements NodeStore {
  readonly kind = 'etcd';
  private readonly opts: EtcdNodeStoreOptions;
  private readonly prefix: string;
  private client: Etcd3;
  private nodes = new Set<string>();
  private apply: (nodes: ReadonlySet<string>) => void = () => undefined;
  private closed = false;
  private seeded = false;
  private loop: Promise<void> | undefined;
  private readonly sleeper = new WakeableSleep(SYSTEM_TIMERS);
  private endWatch: (() => void) | undefined;

  constructor(opts: EtcdNodeStoreOptions) {
    this.opts = opts;
    this.prefix = nodesPrefix(opts.zone);
    this.client = this.newClient();
  }

  private newClient(): Etcd3 {
    const now = this.opts.now;
    return new Etcd3({
      hosts: this.opts.hosts.map((h) => `http://${h}`),
      grpcOptions: GRPC_OPTIONS,
      faultHandling: { host: (host) => hostBreaker(host, now) },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: now() + CALL_TIMEOUT_MS }),
    });
  }

  start(apply: (nodes: ReadonlySet<string>) => void): void {
    this.apply = apply;
    this.nodes = new Set(this.opts.seeds);
    apply(this.nodes);
    this.loop ??= this.follow();
  }

  private async follow(): Promise<void> {
    const { logger } = this.opts;
    let failures = 0;
    while (!this.closed) {
      try {
        if (!this.seeded) {
          for (const node of this.opts.seeds) await this.client.put(this.prefix + node).value(node).exec();
          this.seeded = true;
        }
        const res = await this.client.getAll().prefix(this.prefix).exec();
        if (this.closed) break;
        const nodes = new Set<string>();
        for (const kv of res.kvs) {
          const node = this.nodeOf(kv.key.toString('utf8'));
          if (node !== undefined) nodes.add(node);
        }
        this.nodes = nodes;
        this.apply(nodes);
        if (failures > 0) logger.info('etcd node pool read again', { nodes: nodes.size });
        failures = 0;
        await this.watch(Number(res.header.revision) + 1);
      } catch (err) {
        if (this.closed) break;
        if (failures === 0) logger.warn('etcd node pool read failed; keeping the current pool and retrying', { reason: String((err as Error)?.message ?? err) });
      }
      if (this.closed) break;
      this.client.close();
      this.client = this.newClient();
      await this.sleep(this.backoff(failures++));
    }
  }

  /** The node a key names, or undefined (logged) when it names none. */
  private nodeOf(key: string): string | undefined {
    const node = key.startsWith(this.prefix) ? parseNode(key.slice(this.prefix.length)) : undefined;
    if (node === undefined) this.opts.logger.debug('etcd key ignored: not golb/nodes/<zone>/<host:port>', { key: key.slice(0, 300) });
    return node;
  }

  /** Watches from `from` until the watch ends for any reason. */
  private watch(from: number): Promise<void> {
    const watcher = this.client.watch().prefix(this.prefix).startRevision(String(from)).watcher();
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.endWatch = undefined;
        void watcher.cancel().catch(() => undefined);
        resolve();
      };
      this.endWatch = finish;
      watcher.on('data', (res: IWatchResponse) => {
        if (done) return;
        for (const ev of res.events) {
          const node = this.nodeOf(ev.kv.key.toString('utf8'));
          if (node === undefined) continue;
          if (String(ev.type).toUpperCase() === 'DELETE') this.nodes.delete(node);
          else this.nodes.add(node);
        }
        this.apply(new Set(this.nodes));
      });
      watcher.on('connected', () => this.opts.logger.debug('etcd node pool watch attached', { prefix: this.prefix, fromRevision: from }));
      watcher.on('disconnected', finish);
      watcher.on('error', (err: unknown) => {
        this.opts.logger.warn('etcd node pool watch ended; reading the pool again', { reason: String((err as Error)?.message ?? err) });
        finish();
      });
      watcher.on('end', finish);
    });
  }

  private backoff(failures: number): number {
    return jitteredBackoff(failures, this.opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS, this.opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS, this.opts.random);
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }

  /** Puts the node's key; applied here at once, and at every gateway of the zone through its watch. */
  async add(node: string): Promise<void> {
    await this.client.put(this.prefix + node).value(node).exec();
    this.nodes.add(node);
    this.apply(new Set(this.nodes));
  }

  /** Deletes the node's key; applied here at once, and everywhere through the watch. */
  async remove(node: string): Promise<void> {
    await this.client.delete().key(this.prefix + node).exec();
    this.nodes.delete(node);
    this.apply(new Set(this.nodes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sleeper.wake();
    this.endWatch?.();
    this.client.close();
    // A call in flight to an unreachable etcd may wait for its deadline: shutdown does not.
    await Promise.race([this.loop?.catch(() => undefined), new Promise<void>((r) => setTimeout(r, 1000).unref?.())]);
  }
}
