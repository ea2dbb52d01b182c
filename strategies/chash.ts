/**
 * `chash`: consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam
 * 2018, "Consistent Hashing with Bounded Loads"; HAProxy's `hash-balance-factor`).
 *
 * The key (`ctx.key`: the function name, or the request path for the node
 * pool) is hashed onto a ring of virtual nodes (`hash-ring.ts`, count in
 * proportion to weight). The first backend clockwise takes the request unless
 * it is unusable (down, tried, drained) or over its load bound, then the next
 * distinct backend, and so on: one request at a time always lands on the same
 * backend (affinity, warm caches), a burst spills over to the neighbours.
 *
 * Load bound, weighted: a backend may hold fewer than
 * `max(1, ceil(c × (L + 1) × w / W))` requests, `c` = {@link LOAD_FACTOR},
 * `L` the in-flight requests and `W` the weight of this picker's available
 * backends (with equal weights: `ceil(c × (L + 1) / n)`, the paper's bound).
 * The bound's capacities sum to more than `L`, so some available backend is
 * always under it.
 *
 * Cost: `build` O(V) for the ring of V virtual nodes (hashing, then a radix
 * sort: `hash-ring.ts`), once per change of backends or weights
 * (an update with the same ones returns the previous picker). `pick` searches
 * one bucket of the ring (about 8 points) for a key not among the recent ones
 * (O(1) for the previous key or one found in a {@link KEY_CACHE}-slot cache)
 * plus the walk, which
 * ends at the first usable backend under its bound; no allocation. `L` and `W`
 * are running sums kept without scanning: each pick re-reads the state of the
 * backends it looks at plus {@link SWEEP} more in rotation, so they are exact
 * for a handful of backends and at most n / SWEEP picks stale for many (the
 * candidate's own count is always fresh).
 *
 * The walk is capped ({@link walkLimit}: a few backends' worth of ring points,
 * the whole ring for a handful of backends): when most backends are down or
 * at their bound it would otherwise cross nearly all V points. Past the cap
 * one O(n) scan of the backends, from the owner where the walk stopped, takes
 * the first usable one under its bound, else the nearest usable one over it;
 * nothing usable: panic routing (O(n)).
 * @module
 */
import type { Backend, PickContext, Picker, Strategy, StrategyDeps } from './strategy.ts';
import { isAvailable, type BackendStates } from './backend-state.ts';
import { allUsable, panicPick, registryOf, usable } from './availability.ts';
import { buildRing, hashKey, ringSearch, type Ring } from './hash-ring.ts';

/** `c`: how far above the average share a backend may be loaded (HAProxy's 125). */
export const LOAD_FACTOR = 1.25;
/** Slots of the key-position cache (a power of 2): the hot functions or paths skip the binary search. */
export const KEY_CACHE = 256;
/** Backends whose counts each pick refreshes besides the ones it looks at. */
export const SWEEP = 1;
/** Ring points the walk may cross, in multiples of the average points per backend. */
export const WALK_BACKENDS = 4;
/** The walk may always cross this many ring points, however many backends share the ring. */
export const MIN_WALK = 64;

/**
 * Most ring points one pick walks before scanning the backends instead:
 * {@link WALK_BACKENDS} × the average points per backend, at least
 * {@link MIN_WALK}, at most the whole ring (`size` points, `n` backends).
 */
export function walkLimit(size: number, n: number): number {
  const limit = Math.max(MIN_WALK, WALK_BACKENDS * Math.ceil(size / n));
  return limit < size ? limit : size;
}

/** Consistent hashing over a fixed backend list. */
export class ChashPicker implements Picker {
  private readonly all: readonly Backend[];
  private readonly backends: readonly Backend[];
  private readonly ring: Ring;
  /**
   * In-flight (at 2i) and weight (at 2i + 1) of backend i as last counted into
   * the sums, 0 when unavailable: side by side, one cache line per backend.
   */
  private readonly seen: Float64Array;
  /** Backend i's weight, read without the `Backend` object. */
  private readonly weights: readonly number[];
  private load = 0;
  private availableWeight = 0;
  private sweepAt = 0;
  /** Per-pick marks of backends already looked at (`epoch` numbers them). */
  private readonly mark: Uint32Array;
  private epoch = 0;
  /** Ring positions of recent key hashes (-1: empty). */
  private readonly cachedHash = new Uint32Array(KEY_CACHE);
  private readonly cachedStart = new Int32Array(KEY_CACHE).fill(-1);
  private lastKey = '';
  private lastStart = 0;
  private readonly maxWalk: number;
  /** Ring points the last pick crossed (for tests and diagnostics). */
  walked = 0;
  /** The first usable backend over its bound that the last {@link scan} met. */
  private overBoundFound: Backend | undefined;

  /** The registry of the backends' states (the fast path's health summary). */
  private readonly registry: BackendStates | undefined;

  constructor(all: readonly Backend[], now: number) {
    this.all = all;
    this.backends = all.filter((b) => b.weight > 0);
    this.registry = registryOf(this.backends);
    const n = this.backends.length;
    this.ring = buildRing(this.backends.map((b) => b.address), this.backends.map((b) => b.weight));
    this.seen = new Float64Array(2 * n);
    this.weights = this.backends.map((b) => b.weight);
    this.mark = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.observe(i, now);
    this.lastStart = n === 0 ? 0 : ringSearch(this.ring, hashKey(''));
    this.maxWalk = n === 0 ? 0 : walkLimit(this.ring.owners.length, n);
  }

  /** True when `backends` are the same addresses with the same weights and states, in order. */
  sameAs(backends: readonly Backend[]): boolean {
    if (backends.length !== this.all.length) return false;
    for (let i = 0; i < backends.length; i++) {
      const a = backends[i]!;
      const b = this.all[i]!;
      if (a.address !== b.address || a.weight !== b.weight || a.gateway !== b.gateway || a.state !== b.state) return false;
    }
    return true;
  }

  /** Re-reads backend `i` into the running sums. */
  private observe(i: number, now: number): void {
    const state = this.backends[i]!.state;
    const up = state.registry.allAvailable(now) || isAvailable(state, now);
    const load = up ? state.inFlight : 0;
    const weight = up ? this.weights[i]! : 0;
    const seen = this.seen;
    this.load += load - seen[2 * i]!;
    seen[2 * i] = load;
    this.availableWeight += weight - seen[2 * i + 1]!;
    seen[2 * i + 1] = weight;
  }

  /**
   * The ring position of `hash`: from a small direct-mapped cache (exact: the
   * position depends on the hash alone), else by binary search.
   */
  private start(hash: number): number {
    const slot = hash & (KEY_CACHE - 1);
    if (this.cachedHash[slot] === hash && this.cachedStart[slot]! >= 0) return this.cachedStart[slot]!;
    const start = ringSearch(this.ring, hash);
    this.cachedHash[slot] = hash;
    this.cachedStart[slot] = start;
    return start;
  }

  /** Requests a backend of weight `w` may hold (it takes one more while below). */
  private bound(w: number): number {
    const total = this.availableWeight > 0 ? this.availableWeight : w;
    const b = Math.ceil((LOAD_FACTOR * (this.load + 1) * w) / total);
    return b > 1 ? b : 1;
  }

  pick(ctx: PickContext): Backend | undefined {
    const backends = this.backends;
    const n = backends.length;
    if (n === 0) return undefined;
    for (let k = 0; k < SWEEP; k++) {
      this.observe(this.sweepAt, ctx.now);
      this.sweepAt = this.sweepAt + 1 === n ? 0 : this.sweepAt + 1;
    }
    if (ctx.key !== this.lastKey) {
      this.lastStart = this.start(hashKey(ctx.key));
      this.lastKey = ctx.key;
    }
    let epoch = ++this.epoch;
    if (epoch === 0xffffffff) {
      this.mark.fill(0);
      this.epoch = epoch = 1;
    }
    const owners = this.ring.owners;
    const size = owners.length;
    const maxWalk = this.maxWalk;
    let looked = 0;
    let overBound: Backend | undefined;
    let j = this.lastStart;
    let steps = 0;
    // Every backend up on a first attempt: usable without reading any of them (all weights here are above 0).
    const all = allUsable(ctx, this.registry);
    for (; steps < maxWalk; steps++, j = j + 1 === size ? 0 : j + 1) {
      const i = owners[j]!;
      if (this.mark[i] === epoch) continue;
      this.mark[i] = epoch;
      const b = backends[i]!;
      this.observe(i, ctx.now);
      if (all || usable(b, ctx)) {
        // A usable backend is available, so observe() just counted its in-flight requests into `seen`.
        if (this.seen[2 * i]! < this.bound(this.weights[i]!)) {
          this.walked = steps + 1;
          return b;
        }
        overBound ??= b;
      }
      if (++looked === n) {
        steps++;
        break;
      }
    }
    this.walked = steps;
    if (looked < n) {
      // The cap was reached first: the backends not looked at, once each, from the owner where the walk stopped.
      const found = this.scan(owners[j]!, epoch, ctx);
      if (found !== undefined) return found;
      overBound ??= this.overBoundFound;
    }
    // Every usable backend over its bound (the sums lag, or the rest was tried): the nearest one.
    return overBound ?? panicPick(backends, ctx);
  }

  /**
   * The first usable backend under its bound among those not marked in this
   * pick's `epoch`, scanning backend indices cyclically from `from`; notes the
   * first usable one over its bound in {@link overBoundFound}. O(n).
   */
  private scan(from: number, epoch: number, ctx: PickContext): Backend | undefined {
    const backends = this.backends;
    const n = backends.length;
    this.overBoundFound = undefined;
    for (let k = 0, i = from; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      if (this.mark[i] === epoch) continue;
      const b = backends[i]!;
      this.observe(i, ctx.now);
      if (!usable(b, ctx)) continue;
      if (b.state.inFlight < this.bound(b.weight)) return b;
      this.overBoundFound ??= b;
    }
    return undefined;
  }
}

/** The `chash` strategy. */
export const chash = {
  name: 'chash',
  build(backends, previous, deps: StrategyDeps) {
    if (previous instanceof ChashPicker && previous.sameAs(backends)) return previous;
    return new ChashPicker(backends, deps.now());
  },
} satisfies Strategy;
