/**
 * golb's one etcd client per process, shared by everyone who reads etcd (the
 * weight source, the node pool): the endpoints, the per-endpoint breaker
 * (`host-breaker.ts`), gRPC keepalive, call deadlines, and the way around the
 * etcd3 npm client's known traps.
 *
 * The traps, and what is done about them:
 * - No keepalive by default: a half-open connection (a NAT that dropped its
 *   state, a partition) leaves a watch stream open and silent for good. The
 *   channel pings every 10 s and gives up after 5 s without an answer.
 * - A unary call has no deadline by default: on a half-open connection it
 *   would wait forever. Each gets {@link CALL_TIMEOUT_MS}; the watch stream
 *   lives as long as it can.
 * - A watch that etcd cancels (its start revision was compacted away) is
 *   dropped by the client and never retried, and the client's attach queue
 *   may be left waiting on it (etcd can answer "created" and "canceled" at
 *   once), so later watches on the same watch stream never attach. Each
 *   follower therefore watches through a {@link WatchScope} of its own (an
 *   etcd3 namespace: its own watch stream and manager over the shared
 *   connections); after a cancel the follower takes a fresh scope, and the
 *   old scope's stream is ended. The other follower's watch is not touched.
 * - When the connection itself is in doubt (a watch that neither attaches
 *   nor fails, an etcd whose revision went back), {@link EtcdClient.reconnect}
 *   replaces the etcd3 client, and with it the gRPC channels, for everyone.
 * @module
 */
import { Etcd3, type IOptions, type Namespace } from 'etcd3';
import type { LoopWorld } from '../deps.ts';
import { hostBreaker } from './host-breaker.ts';

/** Time a read or write may take before it counts as failed. */
export const CALL_TIMEOUT_MS = 10_000;

/**
 * gRPC channel options: keepalive pings notice a half-open connection within
 * about 15 s (the interval stays above etcd's 5 s `--grpc-keepalive-min-time`,
 * or etcd answers with GOAWAY `too_many_pings`); pages of a big zone may
 * exceed grpc-js's 4 MiB default message limit.
 */
export const GRPC_OPTIONS = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
};

/** Options of {@link EtcdClient}. */
export interface EtcdClientOptions {
  /** Endpoints, `host:port`. */
  hosts: readonly string[];
  world: LoopWorld;
  /** Makes the etcd3 client from its options (tests count how many are made). */
  create?: (options: IOptions) => Etcd3;
}

/** The process's etcd client; see the module comment. */
export class EtcdClient {
  private readonly opts: EtcdClientOptions;
  private live: Etcd3;
  /** Bumped each time the etcd3 client is replaced. */
  private gen = 0;
  private closed = false;

  constructor(opts: EtcdClientOptions) {
    this.opts = opts;
    this.live = this.make();
  }

  private make(): Etcd3 {
    const { now } = this.opts.world;
    const options: IOptions = {
      hosts: this.opts.hosts.map((h) => `http://${h}`),
      grpcOptions: GRPC_OPTIONS,
      faultHandling: { host: (host) => hostBreaker(host, now) },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: now() + CALL_TIMEOUT_MS }),
    };
    return (this.opts.create ?? ((o) => new Etcd3(o)))(options);
  }

  /** The current etcd3 client, for reads and writes. */
  get etcd3(): Etcd3 {
    return this.live;
  }

  /** A watch scope of one's own (see {@link WatchScope}). */
  watchScope(): WatchScope {
    return new WatchScope(this);
  }

  /** @internal The current generation and a fresh namespace on it. */
  scopeNow(): { generation: number; namespace: Namespace } {
    return { generation: this.gen, namespace: this.live.namespace('') };
  }

  /**
   * Replaces the etcd3 client (new gRPC channels) unless that was already
   * done since `seen` (two followers in doubt at once reconnect once).
   * Calls and watches on the old client fail; their owners retry on the new one.
   */
  reconnect(seen: number): void {
    if (this.closed || seen !== this.gen) return;
    this.live.close();
    this.gen++;
    this.live = this.make();
  }

  /** The generation a caller saw before deciding to {@link reconnect}. */
  get generation(): number {
    return this.gen;
  }

  /** Closes the connections; the owner calls it after every follower has stopped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.live.close();
  }
}

/**
 * One follower's watches: an etcd3 namespace with no prefix, that is, the
 * follower's own watch stream and watch manager over the process's
 * connections. Taken afresh after the client was replaced, or on `renew()`.
 */
export class WatchScope {
  private readonly client: EtcdClient;
  private scope: { generation: number; namespace: Namespace } | undefined;

  constructor(client: EtcdClient) {
    this.client = client;
  }

  /** The namespace to watch through now. */
  get namespace(): Namespace {
    if (this.scope === undefined || this.scope.generation !== this.client.generation) this.scope = this.client.scopeNow();
    return this.scope.namespace;
  }

  /** The client generation this scope's watches run on. */
  get generation(): number {
    return this.scope?.generation ?? this.client.generation;
  }

  /**
   * Drops the namespace after etcd cancelled a watch on it (its attach queue
   * may be stuck): its stream is ended so that it does not linger, and the
   * next watch gets a new one.
   */
  renew(): void {
    const old = this.scope?.namespace;
    this.scope = undefined;
    // etcd3 keeps the stream on its watch manager; ending it makes the manager
    // idle (it has no watcher left to re-attach). Not a public API, hence the guard.
    const stream = (old as unknown as { watchManager?: { stream?: { cancel?: () => void } } } | undefined)?.watchManager?.stream;
    try {
      stream?.cancel?.();
    } catch {
      // Already ended.
    }
  }
}
