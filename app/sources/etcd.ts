/**
 * The etcd weight source: the zone's functions under `golb/function/<zone>/`,
 * as the seed (edgerun's go-load-balancer) keeps them.
 *
 * The I/O is the process's etcd layer (`app/etcd/`): the one client, and a
 * prefix follower that reads the zone, watches it from the read's revision,
 * reads it again after a compaction and retries with backoff. What its
 * answers do to the weights table is `etcd-sync.ts`: a full read replaces the
 * table (deletes made meanwhile included), a watch event changes one function.
 * A value a full read refuses is looked up in the key's history
 * (`etcd-history.ts`) before the table is replaced, so the watch starts only
 * once the table is whole.
 * @module
 */
import type { IKeyValue } from 'etcd3';
import type { Warnings } from '../warnings.ts';
import type { WeightTable } from '../weight-table.ts';
import { toStoreValue, type FunctionSpec } from './function-value.ts';
import { EtcdZoneSync, zonePrefix } from './etcd-sync.ts';
import { reportFunctionCount } from './source-warnings.ts';
import type { WeightSource } from './source.ts';
import type { PrefixFollower, PrefixListener } from '../etcd/prefix-follower.ts';
import { followPrefix, type EtcdUserOptions, type PrefixUse } from '../etcd/prefix-user.ts';

/** Options of {@link EtcdSource}. */
export interface EtcdSourceOptions extends EtcdUserOptions {
  zone: string;
  table: WeightTable;
  knownStrategies: ReadonlySet<string>;
  /** Where functions served from their history and an empty zone are raised; none: logged only. */
  warnings?: Warnings;
  /** An empty zone is expected (fnlb's node pool or Kubernetes serve functions without an entry): no warning for it. */
  emptyIsNormal?: boolean;
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
    this.sync = new EtcdZoneSync(opts.zone, opts.table, opts.logger, opts.knownStrategies, opts.warnings);
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

  /** The etcd mod revision of the value `fn` is served from (the load reports' `weightsRevision`). */
  revisionOf(fn: string): number | undefined {
    return this.sync.revisionOf(fn);
  }

  /** The last failure talking to etcd, for metrics and logs. */
  get lastError(): string | undefined {
    return this.follower.lastError;
  }

  /** Values refused since start. */
  get refused(): number {
    return this.sync.refused;
  }

  /**
   * The follower's reports applied to the table: a read is decoded page by
   * page, its refused values looked up in their history, then it replaces the table.
   */
  private listener(): PrefixListener {
    let read = this.sync.beginRead();
    const readAt = (key: Buffer, revision: number): Promise<IKeyValue | undefined> =>
      this.etcd.client.etcd3.kv.range({ key, revision: String(revision) }).then((res) => res.kvs[0]);
    return {
      readStarted: () => {
        read = this.sync.beginRead();
      },
      readPage: (kvs) => this.sync.decodePage(read, kvs),
      resynced: async (revision) => {
        const done = read;
        await this.sync.lookBack(done, readAt);
        const functions = this.sync.commitSnapshot(done);
        read = this.sync.beginRead();
        this.opts.logger.info('weights loaded', { source: 'etcd', prefix: this.prefix, functions, revision, refused: this.sync.refused });
        this.reportCount();
      },
      changes: (events) => {
        this.sync.applyEvents(events);
        this.reportCount();
      },
    };
  }

  /** Raises or clears the warning of an empty zone. */
  private reportCount(): void {
    if (!this.opts.emptyIsNormal) reportFunctionCount(this.opts.warnings, this.opts.table.size, `etcd (${this.prefix})`);
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
