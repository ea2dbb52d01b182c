/**
 * What golb knows about one backend address, shared by every function that
 * lists it: requests in flight, a peak-EWMA of latency, and its health (passive
 * marks from failed requests, the active probe's verdict).
 *
 * One `BackendState` per address lives in a {@link BackendStates} registry for
 * the life of the process, so a weights update that keeps an address keeps its
 * in-flight count, latency average and health without any hand-over; every
 * `Backend` object built for that address points at the same state.
 *
 * Ordering: JavaScript runs one request step at a time, so the counters need no
 * locking; `inFlight` is raised when a request is handed to the engine and
 * lowered exactly once when it ends (response head, failure or abort).
 * @module
 */

/** Decay time of the latency average (Finagle's peak-EWMA default). */
export const EWMA_DECAY_MS = 10_000;

/** Mutable per-address state. Strategies read it; the request path and health checks write it. */
export class BackendState {
  readonly address: string;
  /** The registry that owns it: its in-flight slot and its share of the health summary live there. */
  readonly registry: BackendStates;
  /** Where its in-flight count lives ({@link BackendStates.inFlightAt}); -1 once retired. */
  slot: number;
  /** The in-flight count of a retired state, which no longer has a slot. */
  private retiredInFlight = 0;
  /** Peak-EWMA of time to response head, ms; 0 before the first sample. */
  latencyMs = 0;
  /** `now()` of the last latency sample. */
  lastSampleAt = 0;
  /** Consecutive passive failures: the backoff grows with them. */
  failures = 0;
  private downUntilMs = 0;
  private healthyNow = true;
  /** This state is counted among its registry's unhealthy ones. */
  private counted = false;

  /** A state of `registry`; made by {@link BackendStates.get}. */
  constructor(address: string, registry: BackendStates) {
    this.address = address;
    this.registry = registry;
    this.slot = registry.takeSlot();
  }

  /** Requests handed to this backend and not yet answered. */
  get inFlight(): number {
    const slot = this.slot;
    return slot >= 0 ? this.registry.inFlightAt(slot) : this.retiredInFlight;
  }

  set inFlight(n: number) {
    const slot = this.slot;
    if (slot >= 0) this.registry.setInFlightAt(slot, n);
    else this.retiredInFlight = n;
  }

  /** Passive health: marked down until this `now()`; 0 when up. */
  get downUntil(): number {
    return this.downUntilMs;
  }

  set downUntil(until: number) {
    this.downUntilMs = until;
    this.registry.noteDownUntil(until);
  }

  /** Active health verdict; true until probes say otherwise (and without probes). */
  get healthy(): boolean {
    return this.healthyNow;
  }

  set healthy(healthy: boolean) {
    this.healthyNow = healthy;
    if (healthy === this.counted) {
      this.counted = !healthy;
      this.registry.countUnhealthy(healthy ? -1 : 1);
    }
  }

  /**
   * Its registry forgot it: no longer counted among the unhealthy, and its
   * slot goes back for another state. A request still holding it (a retry
   * through a picker from before the update) counts on the object itself.
   */
  retire(): void {
    if (this.counted) {
      this.counted = false;
      this.registry.countUnhealthy(-1);
    }
    const slot = this.slot;
    if (slot >= 0) {
      this.retiredInFlight = this.registry.freeSlot(slot);
      this.slot = -1;
    }
  }
}

/**
 * The registry of every address's state, and what its states share: their
 * in-flight counts side by side, and the health summary of the strategies'
 * fast path. The application has one for the functions (`AppDeps.states`),
 * the node pool its own; each is passed to whoever needs it, none is global.
 */
export class BackendStates {
  private readonly states = new Map<string, BackendState>();
  /**
   * Every live state's in-flight count, side by side by slot: `p2c` comparing
   * two backends' loads reads two entries of one small array, not two state
   * objects that, with 1,000 backends, are not in the cache. A state the
   * registry forgets gives its slot back ({@link BackendState.retire}).
   */
  private inFlightBySlot = new Int32Array(256);
  private slotsUsed = 0;
  private readonly freeSlots: number[] = [];
  /**
   * Its states whose active probe fails them, and the latest end of any
   * passive mark ever set on one: together they tell in O(1), with no state
   * read, that every backend is available ({@link allAvailable}).
   */
  private unhealthyStates = 0;
  private latestDownUntil = 0;

  /**
   * True when every state of this registry is available at `now`: no active
   * probe fails any and every passive mark has run out. O(1); false means
   * "look at each".
   */
  allAvailable(now: number): boolean {
    return this.unhealthyStates === 0 && this.latestDownUntil <= now;
  }

  /** The in-flight count in `slot` ({@link BackendState.slot}). */
  inFlightAt(slot: number): number {
    return this.inFlightBySlot[slot]!;
  }

  /** Sets the in-flight count in `slot`. */
  setInFlightAt(slot: number, n: number): void {
    this.inFlightBySlot[slot] = n;
  }

  /** A slot for a new state. */
  takeSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.slotsUsed === this.inFlightBySlot.length) {
      const grown = new Int32Array(this.slotsUsed * 2);
      grown.set(this.inFlightBySlot);
      this.inFlightBySlot = grown;
    }
    return this.slotsUsed++;
  }

  /** Gives `slot` back; returns the in-flight count it held. */
  freeSlot(slot: number): number {
    const n = this.inFlightBySlot[slot]!;
    this.inFlightBySlot[slot] = 0;
    this.freeSlots.push(slot);
    return n;
  }

  /** A state of this registry was marked down until `until`. */
  noteDownUntil(until: number): void {
    if (until > this.latestDownUntil) this.latestDownUntil = until;
  }

  /** A state of this registry turned unhealthy (+1) or healthy again (-1). */
  countUnhealthy(delta: number): void {
    this.unhealthyStates += delta;
  }

  /** The state of `address`, created on first use. */
  get(address: string): BackendState {
    let state = this.states.get(address);
    if (state === undefined) {
      state = new BackendState(address, this);
      this.states.set(address, state);
    }
    return state;
  }

  /** The state of `address` if it was ever used. */
  peek(address: string): BackendState | undefined {
    return this.states.get(address);
  }

  /** Every known state. */
  all(): IterableIterator<BackendState> {
    return this.states.values();
  }

  /** Forgets addresses not in `keep` that have nothing in flight (after updates removed them). */
  prune(keep: ReadonlySet<string>): void {
    for (const [address, state] of this.states) {
      if (!keep.has(address) && state.inFlight === 0) {
        this.states.delete(address);
        state.retire();
      }
    }
  }
}

/**
 * True when the backend may take a new request now: the active probe did not
 * fail it and no passive mark is running.
 */
export function isAvailable(state: BackendState, now: number): boolean {
  return state.healthy && state.downUntil <= now;
}

/** A request was handed to the backend. */
export function requestStarted(state: BackendState): void {
  state.inFlight++;
}

/**
 * The backend's request failed or was abandoned before an answer (refused,
 * reset, timed out, not HTTP, the client left): only the in-flight count goes
 * down. The time to a failure is no latency sample: a refused connection takes
 * about 1 ms and would make a dead backend look the fastest to `ewma`; passive
 * health (`app/health/passive.ts`) deals with failures.
 */
export function requestFailed(state: BackendState): void {
  state.inFlight--;
}

/**
 * The backend answered: its request ended after `latencyMs` to the response
 * head. Peak-EWMA (Finagle): a sample above the average replaces it at once,
 * so a backend that turns slow is seen slow on its next answer; lower samples
 * pull the average down with a weight that decays over {@link EWMA_DECAY_MS}.
 */
export function requestEnded(state: BackendState, latencyMs: number, now: number): void {
  state.inFlight--;
  if (state.lastSampleAt === 0 || latencyMs > state.latencyMs) {
    state.latencyMs = latencyMs;
  } else {
    const keep = Math.exp(-(now - state.lastSampleAt) / EWMA_DECAY_MS);
    state.latencyMs = state.latencyMs * keep + latencyMs * (1 - keep);
  }
  state.lastSampleAt = now;
}
