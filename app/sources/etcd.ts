/**
 * The etcd weight source: the zone's functions under `golb/function/<zone>/`,
 * as the seed (edgerun's go-load-balancer) keeps them.
 *
 * The loop, one step at a time (never two reads or two watchers at once):
 * 1. read the whole prefix, page by page, pinned to the first page's revision
 *    R, and make the table exactly that (ready after the first one);
 * 2. watch the prefix from R+1, so nothing written between the read and the
 *    watch is lost; apply each event; remember the last revision applied;
 * 3. when the watch is lost (etcd down, the member gone), resume from that
 *    revision + 1 after a backoff; when etcd cancels the watch (the revision
 *    was compacted away) or its revision went back (restored from a
 *    snapshot), start again at 1: a fresh read replaces the table, deletes
 *    made meanwhile included.
 * Any failure waits an exponential backoff with jitter and tries again,
 * forever; the table keeps serving what it has.
 *
 * The etcd3 client's own watch recovery is not relied on (pitfalls.md §5):
 * after a compaction cancel its watcher is dead for good, its
 * `lastRevision()` has already skipped to the current revision, and the
 * first error after `create()` is swallowed. So the watcher is made with
 * `watcher()` and every event it emits has a listener here; a watcher that
 * disconnects is cancelled and replaced from golb's own revision. gRPC
 * keepalive makes a half-open connection fail instead of going silent.
 * @module
 */
import { Etcd3, Range, type IWatchResponse, type Watcher } from 'etcd3';
import type { Logger } from '../logger.ts';
import type { WeightTable } from '../weight-table.ts';
import type { FunctionSpec } from './function-value.ts';
import { toStoreValue } from './embedded-file.ts';
import { CALL_TIMEOUT_MS, GRPC_OPTIONS } from '../etcd/client.ts';
import { hostBreaker } from '../etcd/host-breaker.ts';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, READ_PAGE_SIZE } from '../etcd/prefix-follower.ts';
import { SYSTEM_TIMERS } from '../deps.ts';
import { EtcdZoneSync, zonePrefix } from './etcd-sync.ts';
import type { WeightSource } from './source.ts';
import { WakeableSleep, jitteredBackoff } from '../etcd/backoff.ts';

/** Options of {@link EtcdSource}. */
export interface EtcdSourceOptions {
  /** Endpoints, `host:port`. */
  hosts: readonly string[];
  zone: string;
  table: WeightTable;
  logger: Logger;
  knownStrategies: ReadonlySet<string>;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Wall-clock milliseconds (call deadlines). */
  now?: () => number;
}

/** Why a watch ended: resume from golb's revision, or read everything again. */
type WatchEnd = 'resume' | 'resync' | 'closed';

/** The etcd-backed weight source. */
export class EtcdSource implements WeightSource {
  readonly kind = 'etcd';
  /** True once the first full read is in. */
  ready = false;
  /** True while a watcher is attached. */
  connected = false;
  /** The last etcd revision applied to the table (0 before the first read). */
  revision = 0;
  /** The last failure talking to etcd, for metrics and logs. */
  lastError: string | undefined = undefined;
  private readonly opts: EtcdSourceOptions;
  private readonly prefix: string;
  private readonly sync: EtcdZoneSync;
  private client: Etcd3;
  private closed = false;
  private started: Promise<void> | undefined;
  private loaded!: () => void;
  private readonly firstLoad = new Promise<void>((resolve) => (this.loaded = resolve));
  private readonly sleeper = new WakeableSleep(SYSTEM_TIMERS);
  private endWatch: ((end: WatchEnd) => void) | undefined;
  private watcher: Watcher | undefined;
  /** Whether the current watch has delivered an event. */
  private delivered = false;
  /** Set when the client's watch state may be broken: the next read uses a new client. */
  private renewClient = false;

  constructor(opts: EtcdSourceOptions) {
    this.opts = opts;
    this.prefix = zonePrefix(opts.zone);
    this.sync = new EtcdZoneSync(opts.zone, opts.table, opts.logger, opts.knownStrategies);
    this.client = this.newClient();
  }

  /** Values refused since start. */
  get refused(): number {
    return this.sync.refused;
  }

  private newClient(): Etcd3 {
    const now = this.opts.now ?? Date.now;
    return new Etcd3({
      hosts: this.opts.hosts.map((h) => `http://${h}`),
      grpcOptions: GRPC_OPTIONS,
      faultHandling: { host: (host) => hostBreaker(host, now) },
      // Unary calls get a deadline (a call on a half-open connection would
      // otherwise wait forever); the watch stream lives as long as it can.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: now() + CALL_TIMEOUT_MS }),
    });
  }

  /** Starts following the zone; resolves after the first full read (or at close). */
  start(): Promise<void> {
    this.started ??= this.follow().catch((err: unknown) => {
      this.opts.logger.error('etcd source stopped', { reason: errorText(err) });
    });
    return Promise.race([this.firstLoad, this.started]);
  }

  /** The read-watch-recover loop of the module comment. */
  private async follow(): Promise<void> {
    const { logger } = this.opts;
    let needRead = true;
    let failures = 0;
    // Resyncs in a row with no event in between: a watch that etcd cancels
    // right after it attaches must not turn into a tight loop of full reads.
    let resyncs = 0;
    while (!this.closed) {
      let end: WatchEnd = 'resume';
      try {
        if (needRead) {
          if (this.renewClient) {
            this.renewClient = false;
            this.client.close();
            this.client = this.newClient();
          }
          await this.readAll();
          needRead = false;
          if (failures > 0) logger.info('etcd reachable again', { revision: this.revision });
          failures = 0;
        }
        if (this.closed) break;
        this.delivered = false;
        end = await this.watch(() => {
          if (failures > 0) logger.info('etcd watch attached again', { revision: this.revision });
          failures = 0;
        });
      } catch (err) {
        if (this.closed) break;
        this.lastError = errorText(err);
        if (failures === 0) logger.warn('etcd read failed; keeping the current table and retrying', { reason: this.lastError });
      }
      if (end === 'closed' || this.closed) break;
      if (end === 'resync') {
        needRead = true;
        resyncs = this.delivered ? 0 : resyncs + 1;
      }
      const delay = this.backoff(Math.max(failures++, resyncs));
      logger.debug('etcd: next attempt', { inMs: delay, fullRead: needRead, revision: this.revision });
      await this.sleep(delay);
    }
  }

  private backoff(failures: number): number {
    return jitteredBackoff(failures, this.opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS, this.opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS, (this.opts.random ?? Math.random));
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }

  /**
   * One consistent read of the zone: pages pinned to the first page's
   * revision, so a big zone is one snapshot. Replaces the table.
   */
  private async readAll(): Promise<void> {
    const range = Range.prefix(this.prefix);
    const next = new Map<string, FunctionSpec>();
    const strings = new Map<string, string>();
    let revision = 0;
    let key = range.start;
    for (;;) {
      const res = await this.client.kv.range({ key, range_end: range.end, limit: READ_PAGE_SIZE, revision: revision || undefined });
      if (revision === 0) revision = Number(res.header.revision);
      this.sync.decodePage(next, res.kvs, strings);
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || last === undefined) break;
      key = Buffer.concat([last.key, Buffer.from([0])]);
    }
    if (this.closed) return;
    const functions = this.sync.commitSnapshot(next);
    this.revision = revision;
    this.lastError = undefined;
    this.opts.logger.info('weights loaded', { source: 'etcd', prefix: this.prefix, functions, revision, refused: this.sync.refused });
    if (!this.ready) {
      this.ready = true;
      this.loaded();
    }
  }

  /**
   * Watches from `revision + 1` until the watch is lost, cancelled or closed.
   * Every event the watcher can emit has a listener (an `error` without one
   * would be swallowed or thrown).
   */
  private watch(onAttached: () => void): Promise<WatchEnd> {
    const { logger } = this.opts;
    const from = this.revision + 1;
    const watcher = this.client.watch().prefix(this.prefix).startRevision(String(from)).watcher();
    this.watcher = watcher;
    return new Promise<WatchEnd>((resolve) => {
      let done = false;
      const finish = (end: WatchEnd): void => {
        if (done) return;
        done = true;
        clearTimeout(attachTimer);
        this.connected = false;
        this.watcher = undefined;
        this.endWatch = undefined;
        resolve(end);
      };
      this.endWatch = finish;
      // A watcher that neither attaches nor fails in time: start over with a
      // fresh client rather than wait on a stream that went quiet.
      const attachTimer = setTimeout(() => {
        if (done || this.connected) return;
        this.lastError = 'the watch did not attach in time';
        logger.warn('etcd watch did not attach; reconnecting', { waitedMs: CALL_TIMEOUT_MS });
        this.renewClient = true;
        finish('resync');
      }, CALL_TIMEOUT_MS);
      watcher.on('connected', (res: IWatchResponse) => {
        clearTimeout(attachTimer);
        if (done) return;
        const current = Number(res.header.revision);
        if (current < this.revision) {
          // etcd was restored from an older snapshot or wiped: the revisions golb
          // knows mean nothing there (pitfalls.md §5.5).
          logger.warn('etcd revision went back; reading the zone again', { had: this.revision, etcd: current });
          this.renewClient = true;
          finish('resync');
          return;
        }
        this.connected = true;
        logger.info('etcd watch attached', { prefix: this.prefix, fromRevision: from });
        onAttached();
      });
      watcher.on('data', (res: IWatchResponse) => {
        if (done) return;
        this.delivered = true;
        this.sync.applyEvents(res.events);
        // The last event's revision; a progress notification (no events) comes
        // only when the watcher has caught up, so its header revision is safe.
        const last = res.events[res.events.length - 1];
        const applied = Number(last === undefined ? res.header.revision : last.kv.mod_revision);
        if (applied > this.revision) this.revision = applied;
      });
      watcher.on('disconnected', (err: unknown) => {
        if (done) return;
        this.lastError = errorText(err);
        const fields = { reason: this.lastError, revision: this.revision };
        if (this.connected) logger.warn('etcd watch lost; serving the current table and resuming', fields);
        else logger.debug('etcd watch not attached; retrying', fields);
        // The client's manager is idle now: cancelling only forgets the watcher.
        void watcher.cancel().catch(() => undefined);
        finish('resume');
      });
      watcher.on('error', (err: unknown) => {
        if (done) return;
        // etcd cancelled the watch (e.g. its revision was compacted): the client
        // has already dropped it and will not retry.
        this.lastError = errorText(err);
        logger.warn('etcd watch cancelled; reading the zone again', { reason: this.lastError, revision: this.revision });
        // The client's watch queue may be left waiting on this watcher (etcd can
        // answer "created" and "canceled" at once): the next read uses a new client.
        this.renewClient = true;
        finish('resync');
      });
      watcher.on('end', () => finish(this.closed ? 'closed' : 'resume'));
    });
  }

  /** Cancels an attached watcher without waiting long for etcd's answer. */
  private dropWatcher(watcher: Watcher): Promise<void> {
    return Promise.race([watcher.cancel().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 1000))]);
  }

  private key(fn: string): string {
    return this.prefix + fn;
  }

  /** Writes one function's value; it comes back through the watch. */
  async put(fn: string, spec: FunctionSpec): Promise<void> {
    await this.client.put(this.key(fn)).value(JSON.stringify(toStoreValue(spec))).exec();
  }

  /** Deletes one function's key; the delete comes back through the watch. */
  async remove(fn: string): Promise<void> {
    await this.client.delete().key(this.key(fn)).exec();
  }

  /** Stops the loop, cancels the watcher and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sleeper.wake();
    const watcher = this.watcher;
    this.endWatch?.('closed');
    if (watcher !== undefined) await this.dropWatcher(watcher);
    this.client.close();
    this.loaded();
    await this.started?.catch(() => undefined);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}
