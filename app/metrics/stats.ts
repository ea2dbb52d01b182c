/**
 * `/1/lb/stats`: the last minute per function and backend.
 *
 * `stats` keeps fnlb's shape (its `chRouter.statsGet`): one entry per
 * function, backend and second with requests, `{"timestamp", "tp", "node",
 * "func", "wait"}` — `tp` the requests answered in that second (throughput),
 * `wait` their mean latency in seconds, `node` the backend, `func` the
 * function. Unlike fnlb, reading does not drain them: every reader sees the
 * whole minute.
 *
 * `rejected` counts golb's own answers of the minute by error code (a 404
 * for an unknown function is no backend's error, but a client saw it).
 *
 * `functions` adds what fnlb had not: for each function of the table, its
 * backends with their weight, health and requests in flight, and p50/p99
 * latency (seconds) over the minute from the merged histograms. A view may
 * list at most so many backends per function (`maxBackends`): the function's
 * own figures still cover all of them, and `backendsTotal`, `backendsUp` and
 * `truncated` say what was left out. A view of one function (`only`) has only
 * its entries and lists all its backends.
 * @module
 */
import type { WeightTable } from '../weight-table.ts';
import { isAvailable, type BackendStates } from '../../strategies/backend-state.ts';
import { WINDOW_SECONDS, emptyHistogram, quantileMs } from './latency-window.ts';
import type { FunctionRecord, MetricsObserver } from './observer.ts';
import type { DiscoveryStats } from '../kubernetes/pod-follower.ts';

/** One second of one function's requests to one backend (fnlb's entry). */
export interface StatEntry {
  /** The second's start, RFC 3339. */
  timestamp: string;
  /** Requests answered in that second. */
  tp: number;
  /** The backend. */
  node: string;
  /** The function. */
  func: string;
  /** Their mean latency, seconds. */
  wait: number;
  /** Upstream errors in that second. */
  errors: number;
}

/** Latency and volume over the minute. */
export interface MinuteFigures {
  /** Requests answered in the last minute. */
  requests: number;
  /** Upstream errors in the last minute. */
  errors: number;
  /** Requests per second over the last 10 whole seconds. */
  rps: number;
  /** Median latency, seconds; null without requests. */
  p50: number | null;
  /** 99th percentile latency, seconds; null without requests. */
  p99: number | null;
}

/** A backend of a function, now. */
export interface BackendSummary extends MinuteFigures {
  node: string;
  weight: number;
  /** Another zone's gateway rather than a pod. */
  gateway: boolean;
  /** May take requests: health check passing and not marked down. */
  up: boolean;
  inFlight: number;
}

/** A function of the table, now. */
export interface FunctionSummary extends MinuteFigures {
  func: string;
  strategy: string;
  /** Its backends in the value's order: the first {@link StatsView.maxBackends} of them. */
  backends: BackendSummary[];
  /** How many backends the function has. */
  backendsTotal: number;
  /** How many of them may take requests. */
  backendsUp: number;
  /** True when `backends` lists fewer than `backendsTotal`. */
  truncated: boolean;
}

/** The `/1/lb/stats` document. */
export interface StatsDocument {
  /** fnlb's per-second entries, oldest first. */
  stats: StatEntry[];
  node: string;
  zone: string;
  /** When the document was built, RFC 3339. */
  time: string;
  /** Seconds the figures cover. */
  window: number;
  functions: FunctionSummary[];
  /**
   * golb's own answers over the last minute by error code (`unknown_function`,
   * `bad_request`, `no_backend`, …; the server's refusals of malformed
   * requests included), the largest first: what the backends' `errors` leave out.
   */
  rejected: Record<string, number>;
  /** Kubernetes discovery, when golb follows pods (`--db k8s`, `--k8s-functions`). */
  kubernetes?: KubernetesSummary;
}

/** Kubernetes discovery in the stats: pods seen and taking requests, the last event's age, relists. */
export interface KubernetesSummary {
  namespace: string;
  label_selector: string;
  pods_seen: number;
  pods_ready: number;
  /** Seconds since the last list or watch event; null before the first. */
  last_event_age: number | null;
  relists: number;
  watches: number;
  errors: number;
}

/** What a stats read needs besides the observer. */
export interface StatsInputs {
  table: WeightTable;
  states: BackendStates;
  node: string;
  zone: string;
  /** Wall-clock ms. */
  now(): number;
  /** Monotonic ms (passive marks). */
  monotonic(): number;
  /** Kubernetes discovery's figures, when golb follows pods. */
  discovery?: (() => DiscoveryStats) | undefined;
}

/** What a stats document shows. */
export interface StatsView {
  /** Only this function: its entries and its summary (a function not in the table has none). */
  only?: string;
  /** Backends listed per function, at most (all by default). */
  maxBackends?: number;
}

/** Seconds {@link MinuteFigures.rps} averages over. */
const RATE_SECONDS = 10;

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Builds the stats document.
 * @param sinceSecond only `stats` entries of this Unix second and later (a
 *   poller that has the older ones); `functions` is always whole
 */
export function buildStats(observer: MetricsObserver, inputs: StatsInputs, sinceSecond = 0, view: StatsView = {}): StatsDocument {
  const nowMs = inputs.now();
  const second = Math.floor(nowMs / 1000);
  const stats: StatEntry[] = [];
  const only = view.only;
  const maxBackends = view.maxBackends ?? Infinity;
  for (const f of observer.functions.values()) {
    if (only !== undefined && f.fn !== only) continue;
    for (const b of f.backends.values()) {
      for (const s of b.window.seconds(second)) {
        if (s.second < sinceSecond) continue;
        stats.push({
          timestamp: new Date(s.second * 1000).toISOString(),
          tp: s.requests,
          node: b.backend,
          func: f.fn,
          wait: s.requests === 0 ? 0 : round(s.latencySumMs / s.requests / 1000, 6),
          errors: s.errors,
        });
      }
    }
  }
  stats.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));

  const monotonic = inputs.monotonic();
  const functions: FunctionSummary[] = [];
  for (const fn of only === undefined ? inputs.table.names() : [only]) {
    const entry = inputs.table.get(fn);
    if (entry === undefined) continue;
    const record = observer.functions.get(fn);
    const listed = entry.backends.length > maxBackends ? entry.backends.slice(0, maxBackends) : entry.backends;
    const backends = listed.map((b): BackendSummary => {
      const state = inputs.states.peek(b.address) ?? b.state;
      return {
        node: b.address,
        weight: b.weight,
        gateway: b.gateway,
        up: isAvailable(state, monotonic),
        inFlight: state.inFlight,
        ...minute(record, [b.address], second),
      };
    });
    let up = 0;
    for (const b of entry.backends) if (isAvailable(inputs.states.peek(b.address) ?? b.state, monotonic)) up++;
    const all = minute(record, entry.backends.map((b) => b.address), second);
    functions.push({ func: fn, strategy: entry.strategy, ...all, backends, backendsTotal: entry.backends.length, backendsUp: up, truncated: listed.length < entry.backends.length });
  }
  const rejected = observer.recentRejections.byReason(second);
  const doc: StatsDocument = { stats, node: inputs.node, zone: inputs.zone, time: new Date(nowMs).toISOString(), window: WINDOW_SECONDS, functions, rejected };
  if (inputs.discovery !== undefined) doc.kubernetes = kubernetesSummary(inputs.discovery(), nowMs);
  return doc;
}

/** The minute's figures of `record`'s requests to `addresses`, together. */
function minute(record: FunctionRecord | undefined, addresses: readonly string[], second: number): MinuteFigures {
  const histogram = emptyHistogram();
  let requests = 0;
  let errors = 0;
  let recent = 0;
  for (const address of addresses) {
    const b = record?.backends.get(address);
    if (b === undefined) continue;
    b.window.mergeInto(histogram, second);
    for (const s of b.window.seconds(second)) {
      requests += s.requests;
      errors += s.errors;
      if (s.second < second && s.second >= second - RATE_SECONDS) recent += s.requests;
    }
  }
  const p50 = quantileMs(histogram, 0.5);
  const p99 = quantileMs(histogram, 0.99);
  return {
    requests,
    errors,
    rps: round(recent / RATE_SECONDS, 2),
    p50: p50 === undefined ? null : round(p50 / 1000, 6),
    p99: p99 === undefined ? null : round(p99 / 1000, 6),
  };
}

/** The stats' view of discovery's figures at wall-clock `nowMs`. */
export function kubernetesSummary(d: DiscoveryStats, nowMs: number): KubernetesSummary {
  return {
    namespace: d.namespace,
    label_selector: d.labelSelector,
    pods_seen: d.podsSeen,
    pods_ready: d.podsReady,
    last_event_age: d.lastEventAt === undefined ? null : Math.max(0, (nowMs - d.lastEventAt) / 1000),
    relists: d.relists,
    watches: d.watches,
    errors: d.errors,
  };
}
