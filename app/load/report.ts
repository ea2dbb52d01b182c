/**
 * The load report: what one gateway saw over the last report interval, as the
 * optimisers that write the weights read it, from etcd (`golb/load/<zone>/<node>`,
 * on a lease of a few intervals) or from `GET /1/lb/load`. This is the
 * contract: a field's meaning changes only with {@link LOAD_REPORT_SCHEMA}.
 * docs/optimisers.md documents it for people writing an optimiser.
 * @module
 */

/** The schema's version: a report whose `schema` is another number may mean other things. */
export const LOAD_REPORT_SCHEMA = 1;

/** Failed attempts on a backend by class, and golb's own refusals of a function, over the window. */
export interface ErrorCounts {
  /** The connection was refused, or could not be opened in time. */
  refused: number;
  /** The connection broke (reset, closed early, a response golb could not frame). */
  reset: number;
  /** No response head within the response timeout. */
  timeout: number;
  /** Responses with a 5xx status. */
  status5xx: number;
}

/** Latency to the response head over the window, ms; null when nothing was answered. */
export interface Latency {
  p50: number;
  p99: number;
}

/** One backend of a function (a pod, or another zone's gateway). */
export interface BackendLoad {
  /** Requests that finished on this backend in the window (answered or failed). */
  requests: number;
  /** `requests` per second over the window. */
  rate: number;
  /** Requests on this backend at the time of the report. */
  inFlight: number;
  errors: ErrorCounts;
  latencyMs: Latency | null;
  /** golb's peak-EWMA of its latency (what the `ewma` strategy picks by), ms; 0 before a sample. */
  ewmaMs: number;
  /** `up`; `down` (passive marks: failed and backing off); `unhealthy` (the active check fails); `draining` (weight 0). */
  health: 'up' | 'down' | 'unhealthy' | 'draining';
  /** The weight in use. */
  weight: number;
  /** True for another zone's gateway (`eb_go_lb_gateways`). */
  gateway: boolean;
}

/** One function with traffic in the window. */
export interface FunctionLoad {
  /** Requests for it in the window, golb's refusals included. */
  requests: number;
  rate: number;
  inFlight: number;
  /** Requests golb answered itself (no backend, loop, bad request, ...), by error code. */
  rejected: Record<string, number>;
  latencyMs: Latency | null;
  /** The etcd revision its weights came from; null from the file or discovery. */
  weightsRevision: number | null;
  /** By address `host:port`, as in the weights' `ips`. */
  backends: Record<string, BackendLoad>;
}

/** One gateway's report (or one part of it, when it was too large for one etcd value). */
export interface LoadReport {
  schema: typeof LOAD_REPORT_SCHEMA;
  zone: string;
  node: string;
  /** When the window ended, ISO 8601. */
  time: string;
  /** The window this report covers, ms (the report interval). */
  windowMs: number;
  /** Set when the report was split: this part's index and the number of parts, each under its own key. */
  part?: { index: number; count: number };
  /** Only the functions with traffic in the window, by name. */
  functions: Record<string, FunctionLoad>;
}
