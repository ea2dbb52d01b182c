/**
 * The routing table: for each function, its backends and the picker built from
 * them. Weight sources write into it (one function at a time, or a whole
 * snapshot); the proxy route reads it. Every write builds a new picker from the
 * previous one so that rotation and other strategy state survive updates.
 * @module
 */
import type { Backend, Picker, StrategyDeps } from '../strategies/strategy.ts';
import { strategyByName } from '../strategies/registry.ts';
import type { BackendStates } from '../strategies/backend-state.ts';
import type { FunctionSpec } from './sources/function-value.ts';
import { gatewaySet } from './middleware/gateway-awareness.ts';

/** One function's routing state. */
export interface FunctionEntry {
  readonly name: string;
  readonly backends: readonly Backend[];
  readonly strategy: string;
  readonly picker: Picker;
  /**
   * Picks among pods only (no gateway): for requests another gateway forwarded.
   * The same object as `picker` when the function lists no gateway.
   */
  readonly podPicker: Picker;
  /** The spec it was built from (management reads it back). */
  readonly spec: FunctionSpec;
}

/** Options of {@link WeightTable}. */
export interface WeightTableOptions {
  /** Strategy used when a value names none. */
  defaultStrategy: string;
  /** Addresses (as in `ips`) that are other zones' gateways. */
  gateways: readonly string[];
  deps: StrategyDeps;
  /** Per-address state (in flight, latency, health), shared by every function. */
  states: BackendStates;
}

/** Every function's backends and picker. */
export class WeightTable {
  private readonly entries = new Map<string, FunctionEntry>();
  private readonly gateways: ReadonlySet<string>;
  private readonly options: WeightTableOptions;
  private writes = 0;

  constructor(options: WeightTableOptions) {
    this.options = options;
    this.gateways = gatewaySet(options.gateways);
  }

  /** The function's entry, or undefined when it has none. */
  get(fn: string): FunctionEntry | undefined {
    return this.entries.get(fn);
  }

  /** Number of functions. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Moves with every write (set, delete): what was derived from the table at
   * one version (a cached management answer) is stale at another.
   */
  get version(): number {
    return this.writes;
  }

  /** All function names, sorted. */
  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** True when `address` (canonical `host:port`) is another zone's gateway. */
  isGateway(address: string): boolean {
    return this.gateways.has(address);
  }

  /** Replaces one function's backends (a put). */
  set(fn: string, spec: FunctionSpec): FunctionEntry {
    const previous = this.entries.get(fn);
    const strategyName = spec.strategy ?? this.options.defaultStrategy;
    const strategy = strategyByName(strategyName);
    if (strategy === undefined) throw new Error(`unknown strategy ${strategyName}`);
    const backends: Backend[] = spec.targets.map((t) => ({
      address: t.address,
      host: t.host,
      port: t.port,
      weight: t.weight,
      gateway: this.gateways.has(t.address),
      state: this.options.states.get(t.address),
    }));
    const picker = strategy.build(backends, previous?.picker, this.options.deps);
    const pods = backends.filter((b) => !b.gateway);
    // Without gateways both pickers are one object; a separate pod picker carries only its own state.
    const previousPods = previous !== undefined && previous.podPicker !== previous.picker ? previous.podPicker : undefined;
    const podPicker = pods.length === backends.length ? picker : strategy.build(pods, previousPods, this.options.deps);
    const entry: FunctionEntry = { name: fn, backends, strategy: strategyName, picker, podPicker, spec };
    this.entries.set(fn, entry);
    this.writes++;
    return entry;
  }

  /** Removes a function (a delete); true when it existed. */
  delete(fn: string): boolean {
    const deleted = this.entries.delete(fn);
    if (deleted) this.writes++;
    return deleted;
  }

  /**
   * Makes the table exactly `specs`: functions absent from it are removed, the
   * others set (keeping their pickers' state). Used after a full read.
   */
  replaceAll(specs: ReadonlyMap<string, FunctionSpec>): void {
    for (const fn of [...this.entries.keys()]) if (!specs.has(fn)) this.delete(fn);
    for (const [fn, spec] of specs) this.set(fn, spec);
  }

  /** Every address some function lists (pods and gateways): what per-address state to keep. O(total backends). */
  addresses(): Set<string> {
    const out = new Set<string>();
    for (const entry of this.entries.values()) for (const b of entry.backends) out.add(b.address);
    return out;
  }
}
