/**
 * The one interface every load-balancing strategy implements.
 *
 * A strategy is built from a function's backends once per weights update
 * (`build`), which does all derived work (schedules, tables, rings); the
 * resulting `Picker` answers `pick` per request in O(1) or O(log n) without
 * allocating, and returns `undefined` when nothing can take the request (→ 503).
 * A picker is replaced, never mutated, when the backends change; state that must
 * survive an update (a rotation's position, in-flight counts) is carried over
 * explicitly from the `previous` picker handed to `build`.
 * @module
 */

import type { BackendState } from './backend-state.ts';

/** One backend of a function: a pod of this zone or another zone's gateway. */
export interface Backend {
  /** Canonical `host:port` (IPv6 in brackets): the key of pools and health. */
  readonly address: string;
  /** Host name or IP, IPv6 without brackets, as a socket connects to it. */
  readonly host: string;
  readonly port: number;
  /** Finite and non-negative, decimals too (optimisers write them); 0 drains the backend (no new requests). */
  readonly weight: number;
  /** True when the address is listed in `eb_go_lb_gateways`. */
  readonly gateway: boolean;
  /** The address's shared state (in flight, latency, health): one object per address. */
  readonly state: BackendState;
}

/** What a picker may look at for one request: never the request itself. */
export interface PickContext {
  /** The function name. */
  readonly fn: string;
  /** What affinity strategies (`chash`) hash: the function name, or the request path for the node pool. */
  readonly key: string;
  /** `StrategyDeps.now()` when the request started: health marks are compared with it. */
  readonly now: number;
  /**
   * States of the backends this request already tried (retries), never picked
   * again; `undefined` on the first try.
   */
  readonly tried: readonly BackendState[] | undefined;
}

/** A per-update snapshot that picks one backend per request. */
export interface Picker {
  /** The chosen backend, or `undefined` when none can take the request. */
  pick(ctx: PickContext): Backend | undefined;
}

/** The world a strategy may use: randomness and time are injected, never global. */
export interface StrategyDeps {
  /** Uniform in [0, 1). */
  random(): number;
  /** Milliseconds, monotonic enough for averaging. */
  now(): number;
}

/** A load-balancing strategy: a name and a builder of pickers. */
export interface Strategy {
  readonly name: string;
  /**
   * Builds the picker for `backends`. `previous` is the function's picker before
   * this update (possibly of another strategy); state worth keeping is taken from
   * it when it is of the same kind.
   */
  build(backends: readonly Backend[], previous: Picker | undefined, deps: StrategyDeps): Picker;
}
