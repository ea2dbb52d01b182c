/**
 * fnlb's node pool (docs/management.md): a set of `host:port` nodes,
 * health-checked, that serves every request whose path is not golb's own and
 * every function without a weights entry of its own, by consistent hashing on
 * the request path (or the function name).
 *
 * Where the members live is a {@link NodeStore}'s business: in memory, seeded
 * by `--nodes` (`memory-store.ts`), or in etcd under the zone, shared by every
 * gateway of the zone (`etcd-nodes.ts`). The store hands the pool the whole
 * member set whenever it changes; the pool turns it into one entry of its own
 * {@link WeightTable} (every node weight 1, strategy `chash`), so the picker,
 * the per-address state and the active prober (`health/active.ts`, which
 * probes every address of a table) are the ones functions use.
 *
 * The pool's per-address states are its own registry: a pool node's health
 * verdict (probed at `/version` by default, fnlb's path) never mixes with a
 * function backend's that happens to share the address.
 * @module
 */
import type { Logger } from '../logger.ts';
import { WeightTable } from '../weight-table.ts';
import { parseAddress, type Target } from '../sources/function-value.ts';
import { BackendStates, isAvailable } from '../../strategies/backend-state.ts';
import type { Picker, StrategyDeps } from '../../strategies/strategy.ts';

/** The pool's entry in its table (not a valid function name, so it never clashes with one). */
export const POOL_ENTRY = '_pool';
/** The strategy the pool balances with: consistent hashing, fnlb's hot-function affinity. */
export const POOL_STRATEGY = 'chash';
/** The path pool nodes are probed at without `eb_go_lb_health_path`: fnlb's `--hc-path` default. */
export const DEFAULT_POOL_HEALTH_PATH = '/version';

/** A node's state as fnlb reports it. */
export type NodeStatus = 'online' | 'offline';

/** Where the pool's members are kept. */
export interface NodeStore {
  /** `memory` or `etcd`. */
  readonly kind: string;
  /** Starts following the members; `apply` gets the whole set each time it changes. */
  start(apply: (nodes: ReadonlySet<string>) => void): void;
  /** Adds a node (canonical `host:port`). */
  add(node: string): Promise<void>;
  /** Removes a node; removing an absent one is not an error. */
  remove(node: string): Promise<void>;
  /** Stops following and releases resources. */
  close(): Promise<void>;
}

/**
 * A node as the API and `--nodes` take it: `host:port` or `[v6]:port`, the port
 * required, no scheme. Returns the canonical address, or undefined.
 */
export function parseNode(raw: string): string | undefined {
  const s = raw.trim();
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):[0-9]{1,5}$/.test(s)) return undefined;
  const t = parseAddress(s);
  return typeof t === 'string' ? undefined : t.address;
}

/** Options of {@link NodePool}. */
export interface NodePoolOptions {
  store: NodeStore;
  logger: Logger;
  /** The strategies' world (the same as the functions'). */
  deps: StrategyDeps;
}

/** The node pool. */
export class NodePool {
  /** The pool's table: one entry, {@link POOL_ENTRY}, while the pool has members. */
  readonly table: WeightTable;
  /** The pool nodes' per-address state (in flight, latency, health). */
  readonly states = new BackendStates();
  private readonly options: NodePoolOptions;
  private members: readonly string[] = [];

  constructor(options: NodePoolOptions) {
    this.options = options;
    this.table = new WeightTable({ defaultStrategy: POOL_STRATEGY, gateways: [], deps: options.deps, states: this.states });
  }

  /** Where the members are kept (`memory` or `etcd`). */
  get kind(): string {
    return this.options.store.kind;
  }

  /** Number of members. */
  get size(): number {
    return this.members.length;
  }

  /** The members, sorted. */
  nodes(): readonly string[] {
    return this.members;
  }

  /** The picker over the members, or undefined when the pool is empty. */
  picker(): Picker | undefined {
    return this.table.get(POOL_ENTRY)?.picker;
  }

  /** fnlb's view: each member and whether it takes requests (`now`: the monotonic clock). */
  status(now: number): Record<string, NodeStatus> {
    const out: Record<string, NodeStatus> = {};
    for (const node of this.members) {
      const state = this.states.peek(node);
      out[node] = state === undefined || isAvailable(state, now) ? 'online' : 'offline';
    }
    return out;
  }

  /** Starts following the store. */
  start(): void {
    this.options.store.start((nodes) => this.apply(nodes));
  }

  /** Adds a node through the store (canonical `host:port`, see {@link parseNode}). */
  add(node: string): Promise<void> {
    return this.options.store.add(node);
  }

  /** Removes a node through the store. */
  remove(node: string): Promise<void> {
    return this.options.store.remove(node);
  }

  /** Stops following the store. */
  close(): Promise<void> {
    return this.options.store.close();
  }

  /** Makes the pool exactly `nodes`. */
  private apply(nodes: ReadonlySet<string>): void {
    const sorted = [...nodes].sort();
    if (sorted.length === this.members.length && sorted.every((n, i) => n === this.members[i])) return;
    const targets: Target[] = [];
    for (const node of sorted) {
      const t = parseAddress(node);
      if (typeof t !== 'string') targets.push({ ...t, weight: 1 });
    }
    const added = sorted.filter((n) => !this.members.includes(n));
    const removed = this.members.filter((n) => !nodes.has(n));
    this.members = targets.map((t) => t.address);
    if (targets.length === 0) this.table.delete(POOL_ENTRY);
    else this.table.set(POOL_ENTRY, { targets, strategy: undefined });
    this.states.prune(new Set(this.members));
    this.options.logger.info('node pool changed', { store: this.kind, nodes: this.members.length, added, removed });
  }
}
