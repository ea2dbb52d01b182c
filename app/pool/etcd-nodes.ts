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
 * The I/O is the process's etcd layer (`app/etcd/`): the one client, and a
 * prefix follower that puts the seeds (once), reads the prefix, watches it
 * from the read's revision, reads it again after a compaction and retries
 * with backoff; a full read makes the pool exactly what etcd holds.
 * @module
 */
import type { PrefixListener } from '../etcd/prefix-follower.ts';
import { followPrefix, type EtcdUserOptions, type PrefixUse } from '../etcd/prefix-user.ts';
import { parseNode, type NodeStore } from './node-pool.ts';

/** The key prefix of a zone's pool nodes. */
export function nodesPrefix(zone: string): string {
  return `golb/nodes/${zone}/`;
}

/** Options of {@link EtcdNodeStore}. */
export interface EtcdNodeStoreOptions extends EtcdUserOptions {
  zone: string;
  /** `--nodes`, canonical `host:port`: put into etcd at the first contact. */
  seeds: readonly string[];
  /** Jitter source in [0, 1). */
  random: () => number;
  /** Wall-clock milliseconds (call deadlines). */
  now: () => number;
}

/** A {@link NodeStore} in etcd. */
export class EtcdNodeStore implements NodeStore {
  readonly kind = 'etcd';
  private readonly opts: EtcdNodeStoreOptions;
  private readonly prefix: string;
  private readonly etcd: PrefixUse;
  private nodes = new Set<string>();
  private apply: (nodes: ReadonlySet<string>) => void = () => undefined;

  constructor(opts: EtcdNodeStoreOptions) {
    this.opts = opts;
    this.prefix = nodesPrefix(opts.zone);
    this.etcd = followPrefix(opts, {
      prefix: this.prefix,
      listener: this.listener(),
      words: { name: 'etcd node pool', what: 'the pool', kept: 'pool' },
      prepare: async () => {
        for (const node of opts.seeds) await this.etcd.client.etcd3.put(this.prefix + node).value(node).exec();
      },
    });
  }

  start(apply: (nodes: ReadonlySet<string>) => void): void {
    this.apply = apply;
    this.nodes = new Set(this.opts.seeds);
    apply(this.nodes);
    void this.etcd.follower.start();
  }

  /** The follower's reports applied to the set: a read replaces it, events change it. */
  private listener(): PrefixListener {
    let next = new Set<string>();
    return {
      readStarted: () => (next = new Set()),
      readPage: (kvs) => {
        for (const kv of kvs) {
          const node = this.nodeOf(kv.key.toString('utf8'));
          if (node !== undefined) next.add(node);
        }
      },
      resynced: () => {
        this.nodes = next;
        next = new Set();
        this.apply(this.nodes);
      },
      changes: (events) => {
        for (const ev of events) {
          const node = this.nodeOf(ev.kv.key.toString('utf8'));
          if (node === undefined) continue;
          if (String(ev.type).toUpperCase() === 'DELETE') this.nodes.delete(node);
          else this.nodes.add(node);
        }
        this.apply(new Set(this.nodes));
      },
    };
  }

  /** The node a key names, or undefined (logged) when it names none. */
  private nodeOf(key: string): string | undefined {
    const node = key.startsWith(this.prefix) ? parseNode(key.slice(this.prefix.length)) : undefined;
    if (node === undefined) this.opts.logger.debug('etcd key ignored: not golb/nodes/<zone>/<host:port>', { key: key.slice(0, 300) });
    return node;
  }

  /** Puts the node's key; applied here at once, and at every gateway of the zone through its watch. */
  async add(node: string): Promise<void> {
    await this.etcd.client.etcd3.put(this.prefix + node).value(node).exec();
    this.nodes.add(node);
    this.apply(new Set(this.nodes));
  }

  /** Deletes the node's key; applied here at once, and everywhere through the watch. */
  async remove(node: string): Promise<void> {
    await this.etcd.client.etcd3.delete().key(this.prefix + node).exec();
    this.nodes.delete(node);
    this.apply(new Set(this.nodes));
  }

  /** Stops following; closes the client when it is this store's own. */
  close(): Promise<void> {
    return this.etcd.close();
  }
}
