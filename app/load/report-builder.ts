/**
 * Builds a load report (`report.ts`) from what golb already counts, off the
 * request path: the metrics observer's cumulative per-function and
 * per-backend counters, its per-second latency histograms, the per-address
 * state (in flight, peak-EWMA, health) and the weights table.
 *
 * A report covers the window since the previous one. Counts are the
 * differences of the cumulative counters between the two builds, so they are
 * exact and cost the request path nothing more than it already does: each
 * build leaves a {@link ReportMark}, the counters as it read them, which the
 * next build subtracts. A record the observer dropped and made again (a
 * backend idle for a minute, then back) starts from zero, as its mark is
 * keyed by the record itself. Latency quantiles come from the per-second
 * histograms the observer keeps for a minute: the seconds from the previous
 * build's to the current one (`MetricsObserver.recordingSecond`), less what
 * the previous build already took of its own second (the mark keeps a copy
 * of each backend's current-second histogram), so every answer's latency
 * is in exactly one report.
 *
 * Pure: everything comes in as arguments, nothing is read from the world.
 * @module
 */
import type { BackendState, BackendStates } from '../../strategies/backend-state.ts';
import { BINS, WINDOW_SECONDS, quantileMs } from '../metrics/latency-window.ts';
import type { BackendRecord, FunctionRecord } from '../metrics/observer.ts';
import type { WeightTable } from '../weight-table.ts';
import { LOAD_REPORT_SCHEMA, type BackendLoad, type FunctionLoad, type Latency, type LoadReport } from './report.ts';

/** One backend record's cumulative counts, as a build read them. */
interface BackendCounts {
  /** Responses of any status plus failed attempts. */
  finished: number;
  refused: number;
  reset: number;
  timeout: number;
  status5xx: number;
  /** The histogram of the second the build was in, as it stood then; undefined: nothing in it. */
  bins: Float64Array | undefined;
}

/** One function record's cumulative counts, as a build read them. */
interface FunctionCounts {
  /** Every answer to its requests, the backends' and golb's own. */
  answered: number;
  rejected: Map<string, number>;
  backends: Map<BackendRecord, BackendCounts>;
}

/** Where a build left the counters: the next build's window starts there. */
export interface ReportMark {
  /** Monotonic ms of the build. */
  at: number;
  /** The first Unix second whose latencies are not reported yet. */
  second: number;
  functions: Map<FunctionRecord, FunctionCounts>;
}

/** The mark a reporter starts from: nothing counted yet. */
export function firstMark(at: number, second: number): ReportMark {
  return { at, second, functions: new Map() };
}

/** What a build reads. */
export interface ReportInputs {
  zone: string;
  node: string;
  /** The observer's records (`MetricsObserver.functions`). */
  functions: ReadonlyMap<string, FunctionRecord>;
  table: Pick<WeightTable, 'get' | 'isGateway'>;
  states: Pick<BackendStates, 'peek'>;
  /** The etcd revision of a function's value; undefined from the file or discovery. */
  revisionOf(fn: string): number | undefined;
  /** Wall-clock ms: the report's `time`. */
  wallMs: number;
  /** Monotonic ms: the window's length, passive health marks. */
  monotonicMs: number;
  /** `MetricsObserver.recordingSecond()`: the latencies of the seconds before it are final. */
  second: number;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function countsOf(b: BackendRecord): BackendCounts {
  let finished = 0;
  for (const n of b.codes) finished += n;
  for (const n of b.failures) finished += n;
  // b.failures is in FAILURES order: connect, timeout, reset, protocol, body_too_large, aborted.
  return { finished, refused: b.failures[0]!, timeout: b.failures[1]!, reset: b.failures[2]! + b.failures[3]!, status5xx: b.codes[4]!, bins: undefined };
}

function answeredOf(f: FunctionRecord): number {
  let n = 0;
  for (const count of f.statuses.values()) n += count;
  return n;
}

function latencyOf(histogram: Float64Array): Latency | null {
  const p50 = quantileMs(histogram, 0.5);
  const p99 = quantileMs(histogram, 0.99);
  return p50 === undefined || p99 === undefined ? null : { p50: round(p50, 3), p99: round(p99, 3) };
}

/** Health as the report names it: an active probe's verdict first, then a passive mark, then a drain. */
function healthOf(state: BackendState | undefined, weight: number, monotonicMs: number): BackendLoad['health'] {
  if (state !== undefined && !state.healthy) return 'unhealthy';
  if (state !== undefined && state.downUntil > monotonicMs) return 'down';
  return weight === 0 ? 'draining' : 'up';
}

/** A backend's row with no traffic counted yet. */
function idleBackend(state: BackendState | undefined, weight: number, gateway: boolean, monotonicMs: number): BackendLoad {
  return {
    requests: 0,
    rate: 0,
    inFlight: state?.inFlight ?? 0,
    errors: { refused: 0, reset: 0, timeout: 0, status5xx: 0 },
    latencyMs: null,
    ewmaMs: round(state?.latencyMs ?? 0, 3),
    health: healthOf(state, weight, monotonicMs),
    weight,
    gateway,
  };
}

/**
 * The report of the window since `previous`, and the mark the next build
 * starts from. Only functions in the weights table with requests finished
 * or answered in the window are listed; each lists every backend of its
 * weights, and a backend no longer listed that still finished requests in
 * the window (weight 0).
 */
export function buildLoadReport(inputs: ReportInputs, previous: ReportMark): { report: LoadReport; mark: ReportMark } {
  const windowMs = Math.max(0, inputs.monotonicMs - previous.at);
  const seconds = windowMs / 1000;
  // The seconds whose latencies the window holds; the first is the previous build's, part of which it took.
  const from = Math.max(previous.second, inputs.second - WINDOW_SECONDS + 1);
  const mark: ReportMark = { at: inputs.monotonicMs, second: inputs.second, functions: new Map() };
  const functions: Record<string, FunctionLoad> = {};
  const names = [...inputs.functions.keys()].sort();
  for (const fn of names) {
    const record = inputs.functions.get(fn)!;
    const before = previous.functions.get(record);
    const now: FunctionCounts = { answered: answeredOf(record), rejected: new Map(record.rejected), backends: new Map() };
    for (const b of record.backends.values()) now.backends.set(b, countsOf(b));
    mark.functions.set(record, now);
    const entry = inputs.table.get(fn);
    if (entry === undefined) continue;

    const requests = now.answered - (before?.answered ?? 0);
    let finishedOnBackends = 0;
    const backends: Record<string, BackendLoad> = {};
    let inFlight = 0;
    for (const b of entry.backends) {
      const row = backends[b.address];
      // An address listed twice is one backend: its weights add up.
      if (row !== undefined) {
        row.weight += b.weight;
        row.health = healthOf(inputs.states.peek(b.address) ?? b.state, row.weight, inputs.monotonicMs);
        continue;
      }
      const state = inputs.states.peek(b.address) ?? b.state;
      backends[b.address] = idleBackend(state, b.weight, b.gateway, inputs.monotonicMs);
      inFlight += state.inFlight;
    }
    const histogram = new Float64Array(BINS);
    for (const [b, counts] of now.backends) {
      const was = before?.backends.get(b);
      const finished = counts.finished - (was?.finished ?? 0);
      if (finished <= 0) {
        // Nothing since the last build: what it took of its second still stands.
        if (was !== undefined && previous.second === inputs.second) counts.bins = was.bins;
        continue;
      }
      finishedOnBackends += finished;
      const row = (backends[b.backend] ??= idleBackend(inputs.states.peek(b.backend), 0, inputs.table.isGateway(b.backend), inputs.monotonicMs));
      row.requests = finished;
      row.rate = seconds > 0 ? round(finished / seconds, 3) : 0;
      row.errors = {
        refused: counts.refused - (was?.refused ?? 0),
        reset: counts.reset - (was?.reset ?? 0),
        timeout: counts.timeout - (was?.timeout ?? 0),
        status5xx: counts.status5xx - (was?.status5xx ?? 0),
      };
      const own = new Float64Array(BINS);
      b.window.mergeSeconds(own, from, inputs.second);
      if (from === previous.second && was?.bins !== undefined) for (let i = 0; i < BINS; i++) own[i]! -= was.bins[i]!;
      counts.bins = new Float64Array(BINS);
      b.window.mergeSeconds(counts.bins, inputs.second, inputs.second);
      row.latencyMs = latencyOf(own);
      for (let i = 0; i < BINS; i++) histogram[i]! += own[i]!;
    }
    if (requests <= 0 && finishedOnBackends === 0) continue;

    const rejected: Record<string, number> = {};
    for (const [code, n] of now.rejected) {
      const delta = n - (before?.rejected.get(code) ?? 0);
      if (delta > 0) rejected[code] = delta;
    }
    functions[fn] = {
      requests: Math.max(0, requests),
      rate: seconds > 0 ? round(Math.max(0, requests) / seconds, 3) : 0,
      inFlight,
      rejected,
      latencyMs: latencyOf(histogram),
      weightsRevision: inputs.revisionOf(fn) ?? null,
      backends,
    };
  }
  const report: LoadReport = { schema: LOAD_REPORT_SCHEMA, zone: inputs.zone, node: inputs.node, time: new Date(inputs.wallMs).toISOString(), windowMs: Math.round(windowMs), functions };
  return { report, mark };
}
