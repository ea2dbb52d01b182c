/**
 * What the weight source and the node pool share in how they use etcd: the
 * options they take, and a {@link PrefixFollower} on the process's client, or,
 * when none is handed in (a test's store on its own), on a client of their own
 * that is closed with them.
 * @module
 */
import { SYSTEM_TIMERS, type LoopWorld, type Timers } from '../deps.ts';
import type { Logger } from '../logger.ts';
import { EtcdClient } from './client.ts';
import { PrefixFollower, type PrefixFollowerOptions } from './prefix-follower.ts';

/** The options every user of etcd takes. */
export interface EtcdUserOptions {
  /** The process's etcd client; without one the user makes and owns its own from `hosts`. */
  client?: EtcdClient;
  /** Endpoints, `host:port` (when no client is given). */
  hosts?: readonly string[];
  logger: Logger;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Wall-clock milliseconds (call deadlines). */
  now?: () => number;
  timers?: Timers;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** A user's follower and client. */
export interface PrefixUse {
  client: EtcdClient;
  follower: PrefixFollower;
  /** Stops the follower; closes the client when it is the user's own. */
  close(): Promise<void>;
}

/** Follows `what.prefix` for a user; see the module comment. */
export function followPrefix(opts: EtcdUserOptions, what: Pick<PrefixFollowerOptions, 'prefix' | 'listener' | 'words' | 'prepare'>): PrefixUse {
  const world: LoopWorld = { now: opts.now ?? Date.now, random: opts.random ?? Math.random, timers: opts.timers ?? SYSTEM_TIMERS };
  const owned = opts.client === undefined;
  const client = opts.client ?? new EtcdClient({ hosts: opts.hosts ?? [], world });
  const follower = new PrefixFollower({
    ...what,
    client,
    logger: opts.logger,
    world,
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.backoffMaxMs === undefined ? {} : { backoffMaxMs: opts.backoffMaxMs }),
  });
  return {
    client,
    follower,
    async close() {
      await follower.close();
      if (owned) client.close();
    },
  };
}
