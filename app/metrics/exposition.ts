/**
 * `/metrics`: the observer's counters, the backends' shared state, the weight
 * source and the process, in the Prometheus text format. Built per scrape from
 * the records; nothing here runs on the request path.
 * @module
 */
import type { WeightSource } from '../sources/source.ts';
import type { WeightTable } from '../weight-table.ts';
import process from 'node:process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseOpenFilesLimit } from '../server/connection-limit.ts';
import type { UpstreamConnections } from '../proxy/engine.ts';
import { isAvailable, type BackendStates } from '../../strategies/backend-state.ts';
import { ExpositionWriter, labelValue } from './exposition-format.ts';
import type { DiscoveryStats } from '../kubernetes/pod-follower.ts';
import { DURATION_BUCKETS, FAILURES, type MetricsObserver } from './observer.ts';

/** The status classes of `golb_requests_total`, in `BackendRecord.codes` order. */
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** What the process reports about itself. */
export interface ProcessFigures {
  residentBytes: number;
  heapBytes: number;
  cpuSeconds: number;
  startTimeSeconds: number;
  /** Descriptors open (entries of /proc/self/fd); undefined where there is no /proc. */
  openFds?: number | undefined;
  /** The soft open-files limit (/proc/self/limits); undefined where there is none or it is unlimited. */
  maxFds?: number | undefined;
}

/** What `golb_build_info` says: the release and the runtime it runs on. */
export interface BuildFigures {
  version: string;
  /** `bun`, `deno` or `node`. */
  runtime: string;
}

/** One listener's connection cap and counts (`ConnectionGate` in `app/server/connection-gate.ts`). */
export interface ListenerFigures {
  /** `traffic` or `management`. */
  readonly listener: string;
  readonly max: number;
  readonly open: number;
  readonly refused: number;
  /** Requests the server refused before any route, by error code. */
  readonly refusedRequests: ReadonlyMap<string, number>;
}

/** What a scrape reads besides the observer. */
export interface ExpositionInputs {
  table: WeightTable;
  states: BackendStates;
  /** fnlb's node pool's own states, when there is a pool. */
  poolStates?: BackendStates | undefined;
  source: WeightSource;
  /** golb's listeners, when it serves (tests may have none). */
  listeners?: readonly ListenerFigures[] | undefined;
  /** Monotonic ms (the clock of the backends' passive marks). */
  monotonic(): number;
  process(): ProcessFigures;
  /** Kubernetes discovery, when golb follows pods. */
  discovery?: { stats(): DiscoveryStats } | undefined;
  /** Wall-clock ms (the discovery's last event age); needed with `discovery`. */
  now?: (() => number) | undefined;
  /** The engine's upstream connections, busy and idle, when it counts them. */
  upstream?: (() => UpstreamConnections) | undefined;
  /** The release and runtime, for `golb_build_info`. */
  build?: BuildFigures | undefined;
  /** Load reports written to etcd and not written (`app/load/`), when golb writes them. */
  loadReports?: (() => { written: number; failed: number } | undefined) | undefined;
  /** The trace stream's readers and the lines they lost (`app/traces/trace-hub.ts`), when golb serves it. */
  traces?: { readonly readerCount: number; readonly dropped: number } | undefined;
}

/** The weight source's figures: etcd's connection and revision when it has them. */
export function sourceFigures(source: WeightSource): { connected: boolean; revision: number | undefined } {
  const s = source as WeightSource & { connected?: unknown; revision?: unknown };
  return {
    connected: typeof s.connected === 'boolean' ? s.connected : source.ready,
    revision: typeof s.revision === 'number' ? s.revision : undefined,
  };
}

/** The document `/metrics` serves. */
export function renderMetrics(observer: MetricsObserver, inputs: ExpositionInputs): string {
  const { table, states, source } = inputs;
  observer.prune(table);
  const w = new ExpositionWriter();
  const fns = [...observer.functions.values()];

  w.family('golb_requests_total', 'counter', 'Requests a backend answered, by function, backend and status class.');
  for (const f of fns) {
    for (const b of f.backends.values()) {
      for (let i = 0; i < CLASSES.length; i++) if (b.codes[i] !== 0) w.sample('golb_requests_total', `${b.labels},code="${CLASSES[i]}"`, b.codes[i]!);
    }
  }

  w.family('golb_responses_total', 'counter', "Answers to function requests by exact status code: the backends' and golb's own errors (golb_rejected_total says which); by function when the function is known.");
  for (const f of fns) for (const [status, n] of sortedByKey(f.statuses)) w.sample('golb_responses_total', `${f.label},code="${status}"`, n);
  for (const [status, n] of sortedByKey(observer.statusesUnknown)) w.sample('golb_responses_total', `code="${status}"`, n);

  w.family('golb_request_duration_seconds', 'histogram', 'Time from sending a request to a backend to its response head, by function.');
  for (const f of fns) {
    if (f.count === 0) continue;
    let cumulative = 0;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      cumulative += f.buckets[i]!;
      w.sample('golb_request_duration_seconds_bucket', `${f.label},le="${DURATION_BUCKETS[i]}"`, cumulative);
    }
    w.sample('golb_request_duration_seconds_bucket', `${f.label},le="+Inf"`, f.count);
    w.sample('golb_request_duration_seconds_sum', f.label, f.sumSeconds);
    w.sample('golb_request_duration_seconds_count', f.label, f.count);
  }

  w.family('golb_upstream_errors_total', 'counter', 'Exchanges with a backend that failed before a response head, by function, backend and failure.');
  for (const f of fns) {
    for (const b of f.backends.values()) {
      for (let i = 0; i < FAILURES.length; i++) if (b.failures[i] !== 0) w.sample('golb_upstream_errors_total', `${b.labels},failure="${FAILURES[i]}"`, b.failures[i]!);
    }
  }

  w.family('golb_retries_total', 'counter', 'Requests tried again on another backend, by function.');
  for (const f of fns) if (f.retries !== 0) w.sample('golb_retries_total', f.label, f.retries);

  w.family('golb_rejected_total', 'counter', 'Errors golb answered itself, by error code (and function when the function is known).');
  for (const f of fns) for (const [code, n] of f.rejected) w.sample('golb_rejected_total', `${f.label},error="${code}"`, n);
  for (const [code, n] of observer.rejectedUnknown) w.sample('golb_rejected_total', `error="${code}"`, n);

  const now = inputs.monotonic();
  const known = [...states.all()].sort((a, b) => (a.address < b.address ? -1 : 1));
  w.family('golb_backend_up', 'gauge', '1 when the backend may take requests (active health check passing, not marked down after failures), else 0.');
  for (const s of known) w.sample('golb_backend_up', `backend="${labelValue(s.address)}"`, isAvailable(s, now) ? 1 : 0);
  w.family('golb_backend_in_flight', 'gauge', 'Requests handed to the backend and not answered yet.');
  for (const s of known) w.sample('golb_backend_in_flight', `backend="${labelValue(s.address)}"`, s.inFlight);
  if (inputs.poolStates !== undefined) {
    const nodes = [...inputs.poolStates.all()].sort((a, b) => (a.address < b.address ? -1 : 1));
    w.family('golb_pool_node_up', 'gauge', "1 when the node of fnlb's pool may take requests (its health checks pass, not marked down after failures), else 0.");
    for (const s of nodes) w.sample('golb_pool_node_up', `node="${labelValue(s.address)}"`, isAvailable(s, now) ? 1 : 0);
    w.family('golb_pool_node_in_flight', 'gauge', "Requests handed to the pool's node and not answered yet.");
    for (const s of nodes) w.sample('golb_pool_node_in_flight', `node="${labelValue(s.address)}"`, s.inFlight);
  }
  w.family('golb_backend_weight', 'gauge', "The backend's weight in the function's current value.");
  for (const fn of table.names()) {
    const entry = table.get(fn);
    if (entry === undefined) continue;
    const fnLabel = `function="${labelValue(fn)}"`;
    for (const b of entry.backends) w.sample('golb_backend_weight', `${fnLabel},backend="${labelValue(b.address)}"`, b.weight);
  }

  const kind = `source="${labelValue(source.kind)}"`;
  const figures = sourceFigures(source);
  w.family('golb_source_connected', 'gauge', '1 while the weight source is connected (etcd: a watch attached; file: loaded).').sample('golb_source_connected', kind, figures.connected ? 1 : 0);
  w.family('golb_source_ready', 'gauge', "1 once the weight source's first load is in.").sample('golb_source_ready', kind, source.ready ? 1 : 0);
  if (figures.revision !== undefined) {
    w.family('golb_source_revision', 'gauge', 'The last etcd revision applied to the table.').sample('golb_source_revision', kind, figures.revision);
  }
  w.family('golb_source_values_refused_total', 'counter', 'Function values the source refused as invalid since start.').sample('golb_source_values_refused_total', kind, source.refused);
  w.family('golb_functions', 'gauge', 'Functions in the weights table.').sample('golb_functions', '', table.size);
  if (inputs.discovery !== undefined) writeDiscovery(w, inputs.discovery.stats(), inputs.now?.());

  const listeners = inputs.listeners ?? [];
  if (listeners.length > 0) {
    w.family('golb_connections_open', 'gauge', 'Client connections open on the listener (sockets not released yet).');
    for (const l of listeners) w.sample('golb_connections_open', `listener="${labelValue(l.listener)}"`, l.open);
    w.family('golb_connections_max', 'gauge', 'Client connections the listener holds at most (eb_go_lb_max_connections, or derived from the descriptor limit).');
    for (const l of listeners) w.sample('golb_connections_max', `listener="${labelValue(l.listener)}"`, l.max);
    w.family('golb_connections_refused_total', 'counter', 'Client connections closed at once when accepted, by listener and reason (limit: the listener held its maximum).');
    for (const l of listeners) w.sample('golb_connections_refused_total', `listener="${labelValue(l.listener)}",reason="limit"`, l.refused);
    w.family('golb_requests_refused_total', 'counter', 'Requests golb\'s server refused itself before any route (malformed, a head too large, a bad Host, a head or body timed out), by listener and error code.');
    for (const l of listeners) for (const [code, n] of l.refusedRequests) w.sample('golb_requests_refused_total', `listener="${labelValue(l.listener)}",error="${labelValue(code)}"`, n);
  }

  const upstream = inputs.upstream?.();
  if (upstream !== undefined) {
    w.family('golb_upstream_connections', 'gauge', "Connections to backends open now, by state: busy (connecting or carrying a request) or idle (in the keep-alive pool).");
    w.sample('golb_upstream_connections', 'state="busy"', upstream.busy);
    w.sample('golb_upstream_connections', 'state="idle"', upstream.idle);
  }
  const reports = inputs.loadReports?.();
  if (reports !== undefined) {
    w.family('golb_load_reports_total', 'counter', 'Load reports written to etcd (golb/load/<zone>/<node>), by result: written, or failed (etcd out of reach, a write refused).');
    w.sample('golb_load_reports_total', 'result="written"', reports.written);
    w.sample('golb_load_reports_total', 'result="failed"', reports.failed);
  }
  if (inputs.traces !== undefined) {
    w.family('golb_trace_readers', 'gauge', 'Readers of the trace stream (/1/lb/traces) now.').sample('golb_trace_readers', '', inputs.traces.readerCount);
    w.family('golb_trace_lines_dropped_total', 'counter', 'Trace lines lost because a reader of /1/lb/traces read slower than requests finished (its queue was full).').sample('golb_trace_lines_dropped_total', '', inputs.traces.dropped);
  }
  if (inputs.build !== undefined) {
    const { version, runtime } = inputs.build;
    w.family('golb_build_info', 'gauge', "Always 1: golb's release and the runtime it runs on, as labels.").sample('golb_build_info', `version="${labelValue(version)}",runtime="${labelValue(runtime)}"`, 1);
  }

  const p = inputs.process();
  w.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.').sample('process_resident_memory_bytes', '', p.residentBytes);
  w.family('process_heap_bytes', 'gauge', 'JavaScript heap in use, in bytes.').sample('process_heap_bytes', '', p.heapBytes);
  w.family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.').sample('process_cpu_seconds_total', '', p.cpuSeconds);
  w.family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.').sample('process_start_time_seconds', '', p.startTimeSeconds);
  if (p.openFds !== undefined) w.family('process_open_fds', 'gauge', 'Number of open file descriptors.').sample('process_open_fds', '', p.openFds);
  if (p.maxFds !== undefined) w.family('process_max_fds', 'gauge', 'Maximum number of open file descriptors.').sample('process_max_fds', '', p.maxFds);
  return w.toString();
}

/**
 * The running process's figures, read through `node:process` (Bun, Deno and
 * Node all provide it). `startTimeSeconds` is fixed when this is called.
 */
export function processFigures(now: () => number): () => ProcessFigures {
  const startTimeSeconds = Math.round((now() / 1000 - process.uptime()) * 1000) / 1000;
  return () => {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return { residentBytes: memory.rss, heapBytes: memory.heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6, startTimeSeconds, openFds: openDescriptors(), maxFds: descriptorLimit() };
  };
}

/** Entries of /proc/self/fd (Linux; the one the read itself opens included, as Prometheus' Go client counts); undefined elsewhere. */
function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The soft open-files limit from /proc/self/limits; undefined elsewhere or when unlimited. */
function descriptorLimit(): number | undefined {
  try {
    const soft = parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'))?.soft;
    return soft === undefined || !Number.isFinite(soft) ? undefined : soft;
  } catch {
    return undefined;
  }
}

/** A map's entries by ascending key (stable series order across scrapes). */
function sortedByKey(map: ReadonlyMap<number, number>): [number, number][] {
  return [...map].sort((a, b) => a[0] - b[0]);
}

/** Kubernetes discovery's families: pods seen and ready, the last event's age, relists, watches, errors. */
function writeDiscovery(w: ExpositionWriter, d: DiscoveryStats, nowMs: number | undefined): void {
  const ns = `namespace="${labelValue(d.namespace)}"`;
  w.family('golb_kubernetes_pods', 'gauge', 'Pods the label selector picks, as last listed or watched.').sample('golb_kubernetes_pods', ns, d.podsSeen);
  w.family('golb_kubernetes_pods_ready', 'gauge', 'Of those, pods taking new requests: Ready, with an IP, not terminating.').sample('golb_kubernetes_pods_ready', ns, d.podsReady);
  if (d.lastEventAt !== undefined && nowMs !== undefined) {
    w.family('golb_kubernetes_last_event_age_seconds', 'gauge', 'Seconds since the last list or watch event (bookmarks included).').sample('golb_kubernetes_last_event_age_seconds', ns, Math.max(0, (nowMs - d.lastEventAt) / 1000));
  }
  w.family('golb_kubernetes_relists_total', 'counter', 'Lists after the first (a 410 Gone: the watch history was compacted).').sample('golb_kubernetes_relists_total', ns, d.relists);
  w.family('golb_kubernetes_watches_total', 'counter', 'Watches opened.').sample('golb_kubernetes_watches_total', ns, d.watches);
  w.family('golb_kubernetes_errors_total', 'counter', 'Failed list or watch attempts (network, HTTP errors, 401/403).').sample('golb_kubernetes_errors_total', ns, d.errors);
}
