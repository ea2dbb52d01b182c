/**
 * Everything the application is built from. The runtime entries
 * (`main.*.ts`) assemble it; tests assemble their own. Nothing below `app/`
 * reads the environment, the clock, randomness or the network except through
 * these.
 * @module
 */
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { ProxyObserver } from './observer.ts';
import type { ProxyEngine } from './proxy/engine.ts';
import type { WeightSource } from './sources/source.ts';
import type { WeightTable } from './weight-table.ts';
import type { BackendStates } from '../strategies/backend-state.ts';
import type { NodePool } from './pool/node-pool.ts';
import type { ListenerFigures } from './metrics/exposition.ts';
import type { DiscoveryStats } from './kubernetes/pod-follower.ts';
import type { Timer } from './http/sweep.ts';
import type { Timers } from './timers.ts';
import type { Warnings } from './warnings.ts';
import type { ShutdownState } from './shutdown.ts';
import type { RequestIds } from './request-id.ts';
import type { LoadReports } from './load/load-reports.ts';
import type { TraceHub } from './traces/trace-hub.ts';

/**
 * What the app needs of the server that handed it a web `Request`: golb's own
 * server on every runtime (`serverRuntime` in serve.ts); tests may serve the app otherwise.
 */
export interface RuntimeAdapter {
  /** The client's socket address; `env` is what the server handed with the request. */
  clientAddress(req: Request, env: unknown): string;
}

/** The application's dependencies. */
export interface AppDeps {
  config: Config;
  table: WeightTable;
  /** Per-address state (in flight, latency, health) shared by every function. */
  states: BackendStates;
  source: WeightSource;
  engine: ProxyEngine;
  logger: Logger;
  runtime: RuntimeAdapter;
  /** Counts what the request path does (metrics, stats). */
  observer: ProxyObserver;
  /** Wall-clock milliseconds. */
  now(): number;
  /** Monotonic milliseconds: latency, health backoffs, strategies' clock (`StrategyDeps.now`). */
  monotonic(): number;
  /** Repeating timers: the server's and the client's timeout sweeps. */
  timer: Timer;
  /** fnlb's node pool (`--nodes`, `/1/lb/nodes`); absent in tests that do not need it. */
  pool?: NodePool;
  /** golb's listeners' connection caps and counts, for `/metrics`; absent in tests that serve no listener. */
  listeners?: readonly ListenerFigures[];
  /** Kubernetes discovery (`--db k8s`, `--k8s-functions`), for /metrics and /1/lb/stats; absent without it. */
  discovery?: { stats(): DiscoveryStats };
  /** Legal but probably wrong states, listed in `/readyz`'s body (`app/warnings.ts`); absent in tests that check none. */
  warnings?: Warnings;
  /** Whether golb is stopping (`app/shutdown.ts`): `/readyz` answers 503 from the first SIGTERM on; absent in tests that never stop. */
  shutdown?: ShutdownState;
  /** The runtime golb runs on (`bun`, `deno`, `node`), for `golb_build_info`; absent in tests. */
  runtimeName?: string;
  /** Makes request ids (`X-Request-Id`) for the function route; absent in tests that need none (then requests carry none). */
  requestIds?: RequestIds;
  /** The load reports (`app/load/`, `GET /1/lb/load`, etcd's `golb/load/`); absent when they are off (`eb_go_lb_load_report_interval=0`) and in tests that need none. */
  loadReports?: LoadReports;
  /** The readers of the trace stream (`GET /1/lb/traces`, `app/traces/`); absent in tests that need none (then the route answers 501). */
  traces?: TraceHub;
}

export { SYSTEM_TIMERS, type Timers } from './timers.ts';

/** What a background loop (an etcd follower) takes from the world. */
export interface LoopWorld {
  /** Wall-clock milliseconds (call deadlines, the endpoint breaker). */
  now(): number;
  /** Jitter source in [0, 1). */
  random(): number;
  timers: Timers;
}
