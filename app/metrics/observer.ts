/**
 * The metrics observer: counts what the request path reports
 * ({@link ProxyObserver}) for `/metrics` and `/1/lb/stats`.
 *
 * Cost on the hot path: one record per function and one per (function,
 * backend), created on first use and found through nested Maps (function →
 * backend → record), so a call does two Map lookups, bumps numbers in typed
 * arrays allocated with the record, and allocates nothing; label strings are
 * escaped once, when the record is created. JavaScript runs one step at a
 * time, so the counters need no locking. Scrapes read the records.
 *
 * Cardinality: records exist only for functions that reached a backend (they
 * are in the weights table, or `_pool` for everything fnlb's node pool
 * serves); errors golb answers for names that are not in the table count under
 * their error code alone, so a client inventing function names cannot grow
 * memory. Records of backends and functions that left the table are dropped
 * once idle for a minute ({@link MetricsObserver.prune}), checked every minute
 * by the second timer and at every scrape.
 * @module
 */
import { clearTimeout, setTimeout } from 'node:timers';
import type { ErrorCode } from '../errors.ts';
import type { ProxyObserver } from '../observer.ts';
import type { UpstreamFailure } from '../proxy/engine.ts';
import type { WeightTable } from '../weight-table.ts';
import { ERROR_STATUS } from '../errors.ts';
import { LatencyWindow } from './latency-window.ts';
import { RejectionWindow } from './rejection-window.ts';
import { labelValue } from './exposition-format.ts';

/** Upper bounds (seconds) of `golb_request_duration_seconds`' buckets; +Inf is implied. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Every upstream failure, in the order of {@link BackendRecord.failures}. */
export const FAILURES: readonly UpstreamFailure[] = ['connect', 'timeout', 'reset', 'protocol', 'body_too_large', 'aborted'];

const FAILURE_INDEX: Record<UpstreamFailure, number> = { connect: 0, timeout: 1, reset: 2, protocol: 3, body_too_large: 4, aborted: 5 };

/** Counters of one function's requests to one backend. */
export class BackendRecord {
  readonly backend: string;
  /** `function="…",backend="…"`, escaped. */
  readonly labels: string;
  /** Responses by status class: index 0 is 1xx … 4 is 5xx. */
  readonly codes = new Float64Array(5);
  /** Upstream errors by failure, in {@link FAILURES} order. */
  readonly failures = new Float64Array(FAILURES.length);
  /** The last minute, per second. */
  readonly window = new LatencyWindow();

  constructor(fnLabel: string, backend: string) {
    this.backend = backend;
    this.labels = `${fnLabel},backend="${labelValue(backend)}"`;
  }
}

/** Counters of one function. */
export class FunctionRecord {
  readonly fn: string;
  /** `function="…"`, escaped. */
  readonly label: string;
  readonly backends = new Map<string, BackendRecord>();
  /** Latency histogram: counts per {@link DURATION_BUCKETS} bucket (not cumulative), then +Inf. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  sumSeconds = 0;
  count = 0;
  retries = 0;
  /** Errors golb answered for this function, by code. */
  readonly rejected = new Map<ErrorCode, number>();
  /** Every answer to this function's requests, the backends' and golb's own, by exact status. */
  readonly statuses = new Map<number, number>();

  constructor(fn: string) {
    this.fn = fn;
    this.label = `function="${labelValue(fn)}"`;
  }

  /** The record of `backend`, created on first use. */
  backend(backend: string): BackendRecord {
    let record = this.backends.get(backend);
    if (record === undefined) {
      record = new BackendRecord(this.label, backend);
      this.backends.set(backend, record);
    }
    return record;
  }
}

/** Options of {@link MetricsObserver}. */
export interface MetricsObserverOptions {
  /** Tells known functions from names a client made up (rejections). */
  table: Pick<WeightTable, 'get'>;
  /** Wall-clock milliseconds (the stats' seconds). */
  now(): number;
  /**
   * Read the clock on a timer at each second's start instead of on every call
   * (golb sets it: a clock read costs about as much as the rest of a call).
   * The timer is unref'd; {@link MetricsObserver.close} stops it.
   */
  secondTimer?: boolean;
}

/** Counts requests, latencies, upstream errors, retries and rejections. */
export class MetricsObserver implements ProxyObserver {
  /** Function → its record. */
  readonly functions = new Map<string, FunctionRecord>();
  /** Errors golb answered for requests naming no known function, by code. */
  readonly rejectedUnknown = new Map<ErrorCode, number>();
  /** The statuses of those answers. */
  readonly statusesUnknown = new Map<number, number>();
  /** golb's own answers over the last minute, by error code (`/1/lb/stats`' `rejected`). */
  readonly recentRejections = new RejectionWindow();
  private readonly table: Pick<WeightTable, 'get'>;
  private readonly clock: () => number;
  /** The Unix second the request path records into. */
  private readonly currentSecond: () => number;
  /** The second the timer last read (with {@link MetricsObserverOptions.secondTimer}). */
  private current = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: MetricsObserverOptions) {
    this.table = options.table;
    this.clock = options.now;
    if (options.secondTimer === true) {
      this.tick();
      this.currentSecond = () => this.current;
    } else {
      this.currentSecond = () => Math.floor(this.clock() / 1000);
    }
  }

  /** Reads the second and sets the timer for just after the next one starts. */
  private tick(): void {
    const ms = this.clock();
    this.current = Math.floor(ms / 1000);
    // Records of what left the table go once a minute whether or not anyone scrapes.
    if (this.current % 60 === 0) this.prune(this.table);
    this.timer = setTimeout(() => this.tick(), 1001 - (ms % 1000));
    this.timer.unref();
  }

  /** Stops the second timer. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The current Unix second. */
  second(): number {
    return Math.floor(this.clock() / 1000);
  }

  /**
   * The Unix second the request path records latencies into now (the load
   * reports read their window's seconds up to it).
   */
  recordingSecond(): number {
    return this.currentSecond();
  }

  /** The record of `fn`, created on first use. */
  function(fn: string): FunctionRecord {
    let record = this.functions.get(fn);
    if (record === undefined) {
      record = new FunctionRecord(fn);
      this.functions.set(fn, record);
    }
    return record;
  }

  response(fn: string, backend: string, status: number, latencyMs: number): void {
    const f = this.functions.get(fn) ?? this.function(fn);
    const b = f.backends.get(backend) ?? f.backend(backend);
    b.codes[status < 200 ? 0 : status >= 500 ? 4 : ((status / 100) | 0) - 1]!++;
    f.statuses.set(status, (f.statuses.get(status) ?? 0) + 1);
    const seconds = latencyMs / 1000;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    f.buckets[i]!++;
    f.sumSeconds += seconds;
    f.count++;
    b.window.record(latencyMs, this.currentSecond());
  }

  upstreamError(fn: string, backend: string, failure: UpstreamFailure): void {
    const f = this.functions.get(fn) ?? this.function(fn);
    const b = f.backends.get(backend) ?? f.backend(backend);
    b.failures[FAILURE_INDEX[failure] ?? FAILURE_INDEX.protocol]!++;
    b.window.recordError(this.currentSecond());
  }

  retry(fn: string): void {
    (this.functions.get(fn) ?? this.function(fn)).retries++;
  }

  rejected(fn: string | undefined, code: ErrorCode): void {
    const known = fn !== undefined && this.table.get(fn) !== undefined ? this.function(fn) : undefined;
    const counts = known !== undefined ? known.rejected : this.rejectedUnknown;
    counts.set(code, (counts.get(code) ?? 0) + 1);
    const statuses = known !== undefined ? known.statuses : this.statusesUnknown;
    const status = ERROR_STATUS[code];
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    this.recentRejections.record(code, this.currentSecond());
  }

  refused(code: ErrorCode): void {
    this.recentRejections.record(code, this.currentSecond());
  }

  /**
   * Drops the records of backends no longer listed for their function, and of
   * functions no longer in the table, once they saw nothing for a minute (their
   * series end; a backend that comes back starts again from zero, which
   * Prometheus reads as a counter reset).
   */
  prune(table: Pick<WeightTable, 'get'>): void {
    const now = this.second();
    for (const [fn, f] of this.functions) {
      const entry = table.get(fn);
      // A set, not a search of the list per record: with thousands of backends that was quadratic.
      const listed = entry === undefined ? undefined : new Set(entry.backends.map((x) => x.address));
      for (const [address, b] of f.backends) {
        if (listed?.has(address)) continue;
        if (b.window.idle(now)) f.backends.delete(address);
      }
      if (entry === undefined && f.backends.size === 0) this.functions.delete(fn);
    }
  }
}

/**
 * The app's metrics observer: `deps.observer` when it is one, else a fresh
 * empty one (an app built with another observer still serves the gauges).
 */
export function metricsOf(deps: { observer: unknown; table: Pick<WeightTable, 'get'>; now(): number }): MetricsObserver {
  return deps.observer instanceof MetricsObserver ? deps.observer : new MetricsObserver({ table: deps.table, now: deps.now });
}
