/**
 * The etcd weight source: the zone's functions under `golb/function/<zone>/`,
 * as the seed (edgerun's go-load-balancer) keeps them.
 *
 * The I/O is the process's etcd layer (`app/etcd/`): the one client, and a
 * prefix follower that reads the zone, watches it from the read's revision,
 * reads it again after a compaction and retries with backoff. What its
 * answers do to the weights table is `etcd-sync.ts`: a full read replaces the
 * table (deletes made meanwhile included), a watch event changes one function.
 * @module
 */
import type { WeightTable } from '../weight-table.ts';
import { toStoreValue, type FunctionSpec } from './function-value.ts';
import { EtcdZoneSync, zonePrefix } from './etcd-sync.ts';
import type { WeightSource } from './source.ts';
import type { PrefixFollower, PrefixListener } from '../etcd/prefix-follower.ts';
import { followPrefix, type EtcdUserOptions, type PrefixUse } from '../etcd/prefix-user.ts';

/** Options of {@link EtcdSource}. */
export interface EtcdSourceOptions extends EtcdUserOptions {
  zone: string;
  table: WeightTable;
  knownStrategies: ReadonlySet<string>;
}

/** The etcd-backed weight source. */
export class EtcdSource implements WeightSource {
  readonly kind = 'etcd';
  private readonly opts: EtcdSourceOptions;
  private readonly prefix: string;
  private readonly sync: EtcdZoneSync;
  private readonly etcd: PrefixUse;
  private readonly follower: PrefixFollower;

  constructor(opts: EtcdSourceOptions) {
    this.opts = opts;
    this.prefix = zonePrefix(opts.zone);
    this.sync = new EtcdZoneSync(opts.zone, opts.table, opts.logger, opts.knownStrategies);
    this.etcd = followPrefix(opts, { prefix: this.prefix, listener: this.listener(), words: { name: 'etcd', what: 'the zone', kept: 'table' } });
    this.follower = this.etcd.follower;
  }

  /** True once the first full read is in. */
  get ready(): boolean {
    return this.follower.ready;
  }

  /** True while a watcher is attached. */
  get connected(): boolean {
    return this.follower.connected;
  }

  /** The last etcd revision applied to the table (0 before the first read). */
  get revision(): number {
    return this.follower.revision;
  }

  /** The last failure talking to etcd, for metrics and logs. */
  get lastError(): string | undefined {
    return this.follower.lastError;
  }

  /** Values refused since start. */
  get refused(): number {
    return this.sync.refused;
  }

  /** The follower's reports applied to the table: a read is decoded page by page, then replaces it. */
  private listener(): PrefixListener {
    let next = new Map<string, FunctionSpec>();
    // One read's addresses and hosts, shared by the functions that list them (`decodePage`).
    let strings = new Map<string, string>();
    return {
      readStarted: () => {
        next = new Map();
        strings = new Map();
      },
      readPage: (kvs) => this.sync.decodePage(next, kvs, strings),
      resynced: (revision) => {
        const functions = this.sync.commitSnapshot(next);
        next = new Map();
        strings = new Map();
        this.opts.logger.info('weights loaded', { source: 'etcd', prefix: this.prefix, functions, revision, refused: this.sync.refused });
      },
      changes: (events) => this.sync.applyEvents(events),
    };
  }

  /** Starts following the zone; resolves after the first full read (or at close). */
  start(): Promise<void> {
    return this.follower.start();
  }

  private key(fn: string): string {
    return this.prefix + fn;
  }

  /** Writes one function's value; it comes back through the watch. */
  async put(fn: string, spec: FunctionSpec): Promise<void> {
    await this.etcd.client.etcd3.put(this.key(fn)).value(JSON.stringify(toStoreValue(spec))).exec();
  }

  /** Deletes one function's key; the delete comes back through the watch. */
  async remove(fn: string): Promise<void> {
    await this.etcd.client.etcd3.delete().key(this.key(fn)).exec();
  }

  /** Stops following; closes the client when it is this source's own. */
  close(): Promise<void> {
    return this.etcd.close();
  }
}
