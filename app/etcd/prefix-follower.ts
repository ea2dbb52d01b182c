/**
 * Follows one etcd key prefix for whoever keeps a copy of it (the weights
 * table, the node pool), through the process's {@link EtcdClient}.
 *
 * The loop, one step at a time (never two reads or two watchers at once):
 * 1. read the whole prefix, page by page, pinned to the first page's revision
 *    R, and hand it to the listener, which makes its copy exactly that
 *    (ready after the first one);
 * 2. watch the prefix from R+1, so nothing written between the read and the
 *    watch is lost; hand each answer's events on; remember the last revision;
 * 3. when the watch is lost (etcd down, the member gone), resume from that
 *    revision + 1 after a backoff; when etcd cancels the watch (the revision
 *    was compacted away) or its revision went back (restored from a
 *    snapshot), start again at 1: a fresh read replaces the copy, deletes
 *    made meanwhile included.
 * Any failure waits an exponential backoff with jitter and tries again,
 * forever; the listener keeps what it has.
 *
 * The etcd3 client's own watch recovery is not relied on: after a compaction
 * cancel its watcher is dead for good, its `lastRevision()` has already
 * skipped to the current revision, and the first error after `create()` is
 * swallowed. So the watcher is made with `watcher()` and every event it emits
 * has a listener here; a watcher that disconnects is cancelled and replaced
 * from this follower's own revision.
 * @module
 */
import { Range, type IEvent, type IKeyValue } from 'etcd3';
import type { LoopWorld } from '../deps.ts';
import type { Logger } from '../logger.ts';
import { WakeableSleep, jitteredBackoff } from '../backoff.ts';
import { CANCEL_WAIT_MS, errorText, watchOnce, type FollowerWords, type WatchEnd } from './watch-once.ts';
import type { EtcdClient, WatchScope } from './client.ts';

/** First retry delay. */ export const DEFAULT_BACKOFF_BASE_MS = 100;
/** Longest retry delay. */ export const DEFAULT_BACKOFF_MAX_MS = 5_000;
/** Keys per page of the full read (a page's raw answer is dropped once handed on). */ export const READ_PAGE_SIZE = 1_000;

/** What a follower reports to whoever keeps the copy. */
export interface PrefixListener {
  /** A full read begins; its pages follow. A read that fails half way begins again later. */
  readStarted(): void;
  /** One page of the read, keys in order. */
  readPage(kvs: readonly IKeyValue[]): void;
  /**
   * The read is whole at `revision`: its pages are now all there is under the
   * prefix (a key not in them was deleted). The watch starts from
   * `revision + 1` once this returns (or its promise settles).
   */
  resynced(revision: number): void | Promise<void>;
  /** One watch answer's events, puts and deletes, in the order etcd made them. */
  changes(events: readonly IEvent[]): void;
}

/** Options of {@link PrefixFollower}. */
export interface PrefixFollowerOptions {
  client: EtcdClient;
  prefix: string;
  listener: PrefixListener;
  logger: Logger;
  world: LoopWorld;
  words: FollowerWords;
  /** Runs before the first read until it succeeds once (the pool puts its seeds). */
  prepare?: () => Promise<void>;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Follows one prefix; see the module comment. */
export class PrefixFollower {
  /** True once the first full read is in. */
  ready = false;
  /** True while a watcher is attached. */
  connected = false;
  /** The last etcd revision handed on (0 before the first read). */
  revision = 0;
  /** The last failure talking to etcd, for metrics and logs. */
  lastError: string | undefined = undefined;
  private readonly opts: PrefixFollowerOptions;
  private readonly scope: WatchScope;
  private readonly sleeper: WakeableSleep;
  private closed = false;
  private prepared = false;
  private started: Promise<void> | undefined;
  private loaded!: () => void;
  private readonly firstLoad = new Promise<void>((resolve) => (this.loaded = resolve));
  private stopWatch: (() => Promise<void>) | undefined;
  /** Set when the connection is in doubt: the next read runs on a new client. */
  private reconnect = false;

  constructor(opts: PrefixFollowerOptions) {
    this.opts = opts;
    this.scope = opts.client.watchScope();
    this.sleeper = new WakeableSleep(opts.world.timers);
  }

  /** Starts following; resolves after the first full read (or at close). */
  start(): Promise<void> {
    this.started ??= this.follow().catch((err: unknown) => {
      this.opts.logger.error(`${this.opts.words.name} source stopped`, { reason: errorText(err) });
    });
    return Promise.race([this.firstLoad, this.started]);
  }

  /** The read-watch-recover loop of the module comment. */
  private async follow(): Promise<void> {
    const { logger, words } = this.opts;
    let needRead = true;
    let failures = 0;
    // Resyncs in a row with no event in between: a watch that etcd cancels
    // right after it attaches must not turn into a tight loop of full reads.
    let resyncs = 0;
    while (!this.closed) {
      let end: WatchEnd = 'resume';
      let delivered = false;
      try {
        if (needRead) {
          if (this.reconnect) {
            this.reconnect = false;
            this.opts.client.reconnect(this.scope.generation);
          }
          if (!this.prepared) {
            await this.opts.prepare?.();
            this.prepared = true;
          }
          await this.readAll();
          needRead = false;
          if (failures > 0) logger.info(`${words.name} reachable again`, { revision: this.revision });
          failures = 0;
        }
        if (this.closed) break;
        end = await this.watch(() => {
          if (failures > 0) logger.info(`${words.name} watch attached again`, { revision: this.revision });
          failures = 0;
        }, () => (delivered = true));
      } catch (err) {
        if (this.closed) break;
        this.lastError = errorText(err);
        if (failures === 0) logger.warn(`${words.name} read failed; keeping the current ${words.kept} and retrying`, { reason: this.lastError });
      }
      if (end === 'closed' || this.closed) break;
      if (end === 'resync' || end === 'reconnect') {
        needRead = true;
        resyncs = delivered ? 0 : resyncs + 1;
        if (end === 'reconnect') this.reconnect = true;
        else this.scope.renew();
      }
      const delay = jitteredBackoff(Math.max(failures++, resyncs), this.opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS, this.opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS, this.opts.world.random);
      logger.debug(`${words.name}: next attempt`, { inMs: delay, fullRead: needRead, revision: this.revision });
      await this.sleeper.sleep(delay);
    }
  }

  /**
   * One consistent read of the prefix: pages pinned to the first page's
   * revision, so a big prefix is one snapshot.
   */
  private async readAll(): Promise<void> {
    const { listener } = this.opts;
    const range = Range.prefix(this.opts.prefix);
    let revision = 0;
    let key = range.start;
    listener.readStarted();
    for (;;) {
      const res = await this.opts.client.etcd3.kv.range({ key, range_end: range.end, limit: READ_PAGE_SIZE, revision: revision || undefined });
      if (revision === 0) revision = Number(res.header.revision);
      listener.readPage(res.kvs);
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || last === undefined) break;
      key = Buffer.concat([last.key, Buffer.from([0])]);
    }
    if (this.closed) return;
    this.revision = revision;
    this.lastError = undefined;
    await listener.resynced(revision);
    if (!this.ready) {
      this.ready = true;
      this.loaded();
    }
  }

  /** Watches from `revision + 1` until the watch is lost, cancelled or closed. */
  private watch(onAttached: () => void, onDelivered: () => void): Promise<WatchEnd> {
    const { stop, ended } = watchOnce({
      namespace: this.scope.namespace,
      prefix: this.opts.prefix,
      from: this.revision + 1,
      logger: this.opts.logger,
      timers: this.opts.world.timers,
      words: this.opts.words,
      known: () => this.revision,
      onConnected: (connected) => {
        this.connected = connected;
        if (connected) onAttached();
      },
      onEvents: (events, applied) => {
        onDelivered();
        this.opts.listener.changes(events);
        if (applied > this.revision) this.revision = applied;
      },
      onError: (reason) => (this.lastError = reason),
    });
    this.stopWatch = stop;
    return ended.finally(() => (this.stopWatch = undefined));
  }

  /** Stops the loop and cancels the watcher; the client stays open (its owner closes it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sleeper.wake();
    await this.stopWatch?.();
    this.loaded();
    // A call in flight to an unreachable etcd may wait for its deadline: shutdown does not.
    let timer: unknown;
    await Promise.race([this.started?.catch(() => undefined), new Promise<void>((r) => (timer = this.opts.world.timers.setTimeout(r, CANCEL_WAIT_MS)))]);
    this.opts.world.timers.clearTimeout(timer);
  }
}
