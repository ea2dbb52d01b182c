/**
 * What the etcd layer's tests share: a listener that keeps a copy of a prefix
 * the way the weight source and the node pool do, a logger that keeps its
 * lines, and an etcd client whose etcd3 clients are counted.
 */
import { after, before } from 'node:test';
import { Etcd3, type IOptions } from 'etcd3';
import { SYSTEM_TIMERS, type LoopWorld } from '../../../app/deps.ts';
import type { Logger } from '../../../app/logger.ts';
import { EtcdClient } from '../../../app/etcd/client.ts';
import type { PrefixListener } from '../../../app/etcd/prefix-follower.ts';
import { sharedEtcd } from '../../support/etcd-harness.ts';

/** The run's shared etcd, taken before the suite (or file) this is called in and released after it. */
export function useSharedEtcd(): () => Awaited<ReturnType<typeof sharedEtcd>> {
  let etcd: Awaited<ReturnType<typeof sharedEtcd>> | undefined;
  before(async () => {
    etcd = await sharedEtcd();
  });
  after(async () => {
    await etcd?.release();
  });
  return () => {
    if (etcd === undefined) throw new Error('the shared etcd is taken in before()');
    return etcd;
  };
}

/** The real clock and timers, a fixed jitter. */
export const world: LoopWorld = { now: () => Date.now(), random: () => 0.5, timers: SYSTEM_TIMERS };

/** A copy of a prefix (key → value) kept from a follower's reports. */
export interface Copy extends PrefixListener {
  readonly state: Map<string, string>;
  /** Full reads completed, with the revision of each. */
  readonly reads: number[];
  /** Runs once after a full read is in, before the watch starts (set by a test). */
  afterRead?: (revision: number) => Promise<void>;
}

/** A {@link Copy}, empty. */
export function copyOf(): Copy {
  let next = new Map<string, string>();
  const copy: Copy = {
    state: new Map(),
    reads: [],
    readStarted: () => (next = new Map()),
    readPage: (kvs) => {
      for (const kv of kvs) next.set(kv.key.toString(), kv.value.toString());
    },
    resynced: async (revision) => {
      copy.state.clear();
      for (const [k, v] of next) copy.state.set(k, v);
      copy.reads.push(revision);
      const hook = copy.afterRead;
      copy.afterRead = undefined;
      await hook?.(revision);
    },
    changes: (events) => {
      for (const ev of events) {
        if (String(ev.type).toUpperCase() === 'DELETE') copy.state.delete(ev.kv.key.toString());
        else copy.state.set(ev.kv.key.toString(), ev.kv.value.toString());
      }
    },
  };
  return copy;
}

/** The copy as sorted `key=value` lines (a stable thing to compare). */
export function lines(copy: Copy): string[] {
  return [...copy.state].map(([k, v]) => `${k}=${v}`).sort();
}

/** A logger that keeps every line as `level message`. */
export function keptLogger(): { logger: Logger; text: () => string } {
  const kept: string[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void kept.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  return { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, text: () => kept.join('\n') };
}

/** An etcd client on `hosts` whose etcd3 clients are counted. */
export function countedClient(hosts: readonly string[]): { client: EtcdClient; made: () => number } {
  let made = 0;
  const create = (options: IOptions): Etcd3 => {
    made++;
    return new Etcd3(options);
  };
  return { client: new EtcdClient({ hosts, world, create }), made: () => made };
}
