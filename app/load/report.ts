/**
 * The load report: what one gateway saw over the last report interval, as the
 * optimisers that write the weights read it, from etcd (`golb/load/<zone>/<node>`,
 * on a lease of three intervals, at least 5 s) or from `GET /1/lb/load`. This is the
 * contract: a field's meaning changes only with {@link LOAD_REPORT_SCHEMA}.
 * docs/optimisers.md documents it for people writing an optimiser.
 *
 * golb keeps one state per backend address, shared by every function that
 * lists it: `inFlight`, `ewmaMs` and `health` are the address's, whichever
 * function's requests they come from (another zone's gateway, listed by many
 * functions, shows all of them). Counts and latencies are per function.
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

/** Latency to the response head of the answers in the window, ms (from histograms: within a third of the true value); null when nothing was answered. */
export interface Latency {
  p50: number;
  p99: number;
}

/** One backend of a function (a pod, or another zone's gateway). */
export interface BackendLoad {
  /**
   * Attempts that finished on this backend in the window: answered (any
   * status), or failed by the backend (refused, reset, timed out). A retried
   * request counts once on each backend it was tried on; an attempt the
   * client abandoned (it left, or sent too large a body) is not counted.
   */
  requests: number;
  /** `requests` per second over the window. */
  rate: number;
  /** Requests on this address at the time of the report, every function's (see the module comment). */
  inFlight: number;
  errors: ErrorCounts;
  latencyMs: Latency | null;
  /** golb's peak-EWMA of the address's latency (what the `ewma` strategy picks by), ms; 0 before a sample. */
  ewmaMs: number;
  /**
   * `up`; `down` (passive marks: failed and backing off); `unhealthy` (the
   * active check fails); `draining` (weight 0). When several hold, the first
   * of unhealthy, down, draining.
   */
  health: 'up' | 'down' | 'unhealthy' | 'draining';
  /** The weight in use (the sum when the weights list the address twice); 0 for a backend no longer in the weights that still finished requests in the window. */
  weight: number;
  /** True for another zone's gateway (`eb_go_lb_gateways`). */
  gateway: boolean;
}

/** One function with traffic in the window. */
export interface FunctionLoad {
  /**
   * Requests for it answered in the window, each once however many backends
   * it was tried on: by a backend, or by golb itself (its refusals and
   * errors, a client that left included).
   */
  requests: number;
  /** `requests` per second over the window. */
  rate: number;
  /** The sum of its backends' `inFlight` (so with requests of other functions to the same addresses). */
  inFlight: number;
  /** Requests golb answered itself (no backend, loop, bad request, ...), by error code. */
  rejected: Record<string, number>;
  /** Over every backend's answers together. */
  latencyMs: Latency | null;
  /** The etcd revision its weights came from; null from the file or discovery. */
  weightsRevision: number | null;
  /**
   * By address `host:port`, as in the weights' `ips`: every backend of its
   * weights, in their order, with traffic or not, then any no longer in the
   * weights that finished requests in the window.
   */
  backends: Record<string, BackendLoad>;
}

/** One gateway's report (or one part of it, when it was too large for one etcd value). */
export interface LoadReport {
  schema: typeof LOAD_REPORT_SCHEMA;
  zone: string;
  node: string;
  /** When the window ended, ISO 8601. */
  time: string;
  /** The window this report covers, ms: the time since the previous report (the first: since golb started), about the interval. */
  windowMs: number;
  /**
   * Set when the report was split (over 1 MiB of JSON): this part's index and
   * the number of parts, each under its own key (index 0 under
   * `golb/load/<zone>/<node>`, index i under `golb/load/<zone>/<node>/<i>`),
   * all with the same `time`. A function too large for one part is in
   * several, each with some of its backends and the same function-level figures.
   */
  part?: { index: number; count: number };
  /**
   * Only the functions with traffic in the window (requests answered, or
   * attempts finished on a backend), by name; functions no longer in the
   * weights table are left out.
   */
  functions: Record<string, FunctionLoad>;
}
