/**
 * What every runtime entry does before it serves: read the configuration (a
 * bad setting stops golb with one line per problem and exit code 2), build the
 * logger, the weights table and source, the proxy engine and the app, and load
 * the first weights. The stop at SIGTERM is `shutdown.ts`'s.
 * @module
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Hono } from 'hono';
import { ConfigError, DEFAULT_WEIGHTS_FILE, parseConfig, type Config, type ParseResult } from './config.ts';
import { healthcheck } from './healthcheck.ts';
import { SYSTEM_TIMERS, type AppDeps, type RuntimeAdapter } from './deps.ts';
import { createLogger, type Logger } from './logger.ts';
import { Http1Client } from './proxy/http1-client.ts';
import type { Transport } from './net/transport.ts';
import { EmbeddedFileSource } from './sources/embedded-file.ts';
import type { WeightSource } from './sources/source.ts';
import { WeightTable } from './weight-table.ts';
import { Warnings } from './warnings.ts';
import { ShutdownState } from './shutdown.ts';
import { RequestIds } from './request-id.ts';
import { TraceHub } from './traces/trace-hub.ts';
import { MetricsObserver } from './metrics/observer.ts';
import { ActiveHealth } from './health/active.ts';
import { LoadReports } from './load/load-reports.ts';
import type { EtcdClient } from './etcd/client.ts';
import { BackendStates } from '../strategies/backend-state.ts';
import { STRATEGIES } from '../strategies/registry.ts';
import { functionRoute } from '../routes/function-route.ts';
import type { ProxyHandler } from './client-request.ts';
import { startPool } from './pool/start-pool.ts';
import type { JsonAnswer, WebHandler } from './server/http1-server.ts';
import { probeAnswers } from '../routes/probes.ts';
import { connectionGates, type ConnectionGates } from './server/connection-gate.ts';
import { parseOpenFilesLimit, type OpenFilesLimit } from './server/connection-limit.ts';
import { startDiscovery, wantsDiscovery, type Discovery } from './kubernetes/discovery.ts';
import { KubeCredentialsError } from './kubernetes/credentials.ts';
import { functionsOfPods, PodFunctionTable } from './kubernetes/pod-functions.ts';
import type { ApiRuntime } from './kubernetes/api-fetch.ts';

/** How often per-address state of addresses no function lists any more is dropped, ms. */
export const STATE_PRUNE_MS = 60_000;

/** A started golb, ready to be served by a runtime. */
export interface Golb {
  config: Config;
  /**
   * The traffic port's web app (`create-app.ts`): Hono, the management API,
   * dashboard and metrics, the node pool; imported and built on the first
   * request that needs it ({@link lazyWebApp}).
   */
  fetch: WebHandler;
  /** The probes (`/healthz`, `/readyz`), which golb's server answers itself. */
  direct: (method: string, target: string) => JsonAnswer | undefined;
  /**
   * The `/function/*` handler the app routes to; never throws. golb's server
   * calls it directly for `/function/` paths, ahead of Hono (`app/server/connection.ts`).
   */
  proxy: ProxyHandler;
  /** The application of the separate management port, when one is set (`eb_go_lb_mgmt_port`, `--mgmt-listen`). */
  managementApp: Hono | undefined;
  deps: AppDeps;
  logger: Logger;
  /** The listeners' connection caps and counts (`eb_go_lb_max_connections`). */
  gates: ConnectionGates;
  /** Set from the first SIGTERM or SIGINT on (`app/shutdown.ts`): `/readyz` answers 503. */
  shutdown: ShutdownState;
  /** Closes the weight source and upstream connections, in turn; `closing` hears each one's name as it starts (the shutdown logs what did not close). */
  close(closing?: (what: string) => void): Promise<void>;
}

/** What {@link loadConfigOrExit} read: the configuration, the command, the warnings it carries. */
export type LoadedConfig = Extract<ParseResult, { help: false }>;

/** Parses the configuration or exits: usage with 0, problems with 2. */
export function loadConfigOrExit(env: Record<string, string | undefined>, argv: readonly string[]): LoadedConfig {
  try {
    const result = parseConfig(env, argv, hostname);
    if (result.help) {
      process.stdout.write(result.usage + '\n');
      process.exit(0);
    }
    const config = result.config;
    if (config.handlerType !== 'dummy' && !STRATEGIES.has(config.handlerType)) {
      throw new ConfigError([`eb_go_lb_handler_type: strategy "${config.handlerType}" is not available in this version (available: ${[...STRATEGIES.keys()].join(', ')}, dummy)`]);
    }
    return result;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) process.stderr.write(`golb: ${problem}\n`);
    process.exit(2);
  }
}

/**
 * The process's open-files limit, from `/proc/self/limits` (Linux); undefined
 * elsewhere, or when it cannot be read. No runtime gives JavaScript
 * setrlimit, but Bun, Deno and Node each raise their soft limit to the hard
 * one as they start, so this reads the raised value: what the service manager
 * or container granted (systemd's `LimitNOFILE=`, `docker run --ulimit`).
 */
export function readOpenFilesLimit(): OpenFilesLimit | undefined {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A web handler whose Hono app is imported and built by the first request
 * (concurrent first requests share one build; a failed build is tried again).
 * The probes never need it (`routes/probes.ts`), so an idle golb holds no
 * Hono, no management routes and no web `Request` machinery: about 4 MB of
 * resident memory on Bun.
 */
export function lazyWebApp(build: () => Promise<Hono>): WebHandler {
  let app: Hono | undefined;
  let loading: Promise<Hono> | undefined;
  const load = (): Promise<Hono> =>
    (loading ??= build().then(
      (built) => (app = built),
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    ));
  return (req, env) => (app !== undefined ? app.fetch(req, env) : load().then((built) => built.fetch(req, env)));
}

/**
 * Builds and loads golb for a runtime.
 * @param transport the upstream sockets' transport (`node:net` for Node and Deno, Bun's native one for Bun)
 */
export async function startGolb(runtime: RuntimeAdapter, runtimeName: string, transport: Transport): Promise<Golb> {
  const { config, command, warnings: configWarnings } = loadConfigOrExit(process.env, process.argv.slice(2));
  if (command === 'healthcheck') {
    // Before anything is built or listened on: the check is a client of the golb that serves.
    const result = await healthcheck(config, (url, init) => globalThis.fetch(url, init));
    (result.exitCode === 0 ? process.stdout : process.stderr).write(result.line + '\n');
    process.exit(result.exitCode);
  }
  const logger = createLogger({ mode: config.mode, node: config.nodeName });
  const warnings = new Warnings(logger);
  for (const w of configWarnings) warnings.raise(w.code, w.message);
  const gates = connectionGates(config, readOpenFilesLimit(), logger);
  const now = () => Date.now();
  const monotonic = () => performance.now();
  const timer = SYSTEM_TIMERS;
  const strategyDeps = { random: Math.random, now: monotonic };
  const states = new BackendStates();
  const tableOptions = { defaultStrategy: config.handlerType === 'dummy' ? 'wrr' : config.handlerType, gateways: config.gateways, deps: strategyDeps, states };
  const table = config.k8sFunctions ? new PodFunctionTable(tableOptions) : new WeightTable(tableOptions);
  const discovery = wantsDiscovery(config) ? await startDiscoveryOrExit(config, runtimeName, logger, now) : undefined;
  if (discovery !== undefined && table instanceof PodFunctionTable) {
    discovery.subscribe((pods) => table.setDiscovered(functionsOfPods(pods.values(), config.k8sTargetPort)));
  }
  const knownStrategies = new Set(STRATEGIES.keys());
  // One etcd client for the process: the weight source and the node pool share it.
  // Loaded only when used: etcd3, gRPC and the parsed protos cost about 30 MB of memory.
  const etcd =
    config.etcdHosts.length > 0 ? new (await import('./etcd/client.ts')).EtcdClient({ hosts: config.etcdHosts, world: { now, random: Math.random, timers: SYSTEM_TIMERS } }) : undefined;
  // With fnlb's node pool or functions from pods, a function without an entry is still served: no entry is normal.
  const emptyIsNormal = config.nodes.length > 0 || config.k8sFunctions || config.db === 'k8s';
  const source: WeightSource =
    etcd !== undefined
      ? new (await import('./sources/etcd.ts')).EtcdSource({ client: etcd, zone: config.zone, table, logger, knownStrategies, random: Math.random, now, warnings, emptyIsNormal })
      : new EmbeddedFileSource({
          path: config.weightsFile,
          table,
          logger,
          knownStrategies,
          warnings,
          workingDirectory: process.cwd(),
          emptyIsNormal,
          // The default file of a golb run as fnlb is usually absent on purpose; a path given is meant to exist.
          missingIsNormal: emptyIsNormal && config.weightsFile === DEFAULT_WEIGHTS_FILE,
        });
  const engine = new Http1Client({
    connectTimeoutMs: config.connectTimeoutMs,
    responseTimeoutMs: config.responseTimeoutMs,
    idleTimeoutMs: config.upstreamIdleTimeoutMs,
    maxIdlePerUpstream: config.maxIdlePerUpstream,
    // A client that reads nothing of a response for as long as an idle client is kept gives it up.
    stallTimeoutMs: config.clientIdleTimeoutMs,
    timer,
  }, transport);
  const observer = new MetricsObserver({ table, now, secondTimer: true });
  const listeners = gates.management === undefined ? [gates.traffic] : [gates.traffic, gates.management];
  const shutdown = new ShutdownState();
  const loadReports = await startLoadReports(config, { observer, table, states, source, now, monotonic, logger }, etcd);
  const deps: AppDeps = { config, table, states, source, engine, logger, runtime, observer, now, monotonic, timer, listeners, discovery, warnings, shutdown, runtimeName, requestIds: new RequestIds(Math.random), loadReports, traces: new TraceHub({ timers: SYSTEM_TIMERS, random: Math.random }) };
  const pool = await startPool(config, logger, engine, strategyDeps, now, etcd, config.db === 'k8s' ? discovery : undefined);
  deps.pool = pool.pool;
  // The function route's chain, built once: golb's server calls it straight, the Hono app mounts it.
  const proxy = functionRoute(deps);
  const fetch = lazyWebApp(async () => (await import('./create-app.ts')).createApp(deps, proxy));
  const managementApp = config.mgmtPort === undefined ? undefined : (await import('./create-app.ts')).createManagementApp(deps);
  const health =
    config.healthPath === undefined
      ? undefined
      : new ActiveHealth({
          table,
          engine,
          logger,
          path: config.healthPath,
          intervalMs: config.healthIntervalMs,
          timeoutMs: config.healthTimeoutMs,
          unhealthy: config.healthUnhealthy,
          healthy: config.healthHealthy,
          nodeName: config.nodeName,
        });
  health?.start();
  // Addresses no function lists any more lose their state (and metric series) within a minute.
  const pruneTimer = setInterval(() => states.prune(table.addresses()), STATE_PRUNE_MS);
  (pruneTimer as { unref?: () => void }).unref?.();
  // Loading does not hold up serving: golb listens at once (/healthz 200,
  // /readyz 503 until the first load is in), so an etcd that is down at start
  // keeps retrying in the background while liveness and shutdown work.
  source.start().catch((err: unknown) => logger.error('weight source failed to start', { source: source.kind, reason: String(err) }));
  logger.info('golb starting', { runtime: runtimeName, port: config.listenPort, source: source.kind, strategy: config.handlerType, node: config.nodeName });
  return {
    config,
    fetch,
    direct: probeAnswers(deps),
    proxy,
    managementApp,
    deps,
    logger,
    gates,
    shutdown,
    async close(closing = () => undefined) {
      clearInterval(pruneTimer);
      health?.close();
      observer.close();
      closing('node pool');
      await pool.close();
      closing('kubernetes discovery');
      await discovery?.close();
      closing('weight source');
      await source.close();
      closing('load reports');
      await loadReports?.close();
      closing('etcd');
      etcd?.close();
      closing('upstream connections');
      engine.close();
    },
  };
}

/**
 * The load reports (`app/load/`), started; undefined when they are off. With
 * etcd they are written under `golb/load/<zone>/<node>` through the process's
 * one client; the publisher is loaded only then.
 */
async function startLoadReports(
  config: Config,
  parts: Pick<AppDeps, 'observer' | 'table' | 'states' | 'source' | 'now' | 'monotonic' | 'logger'>,
  etcd: EtcdClient | undefined,
): Promise<LoadReports | undefined> {
  if (config.loadReportIntervalMs <= 0 || !(parts.observer instanceof MetricsObserver)) return undefined;
  const { zone, nodeName: node, loadReportIntervalMs: intervalMs } = config;
  const publisher =
    etcd === undefined ? undefined : new (await import('./load/report-publisher.ts')).LoadPublisher({ client: etcd, zone, node, intervalMs, logger: parts.logger, timers: SYSTEM_TIMERS });
  const source = parts.source;
  const reports = new LoadReports({
    intervalMs, zone, node, publisher,
    observer: parts.observer,
    table: parts.table,
    states: parts.states,
    revisionOf: (fn) => source.revisionOf?.(fn),
    now: parts.now,
    monotonic: parts.monotonic,
    timers: SYSTEM_TIMERS,
    logger: parts.logger,
  });
  reports.start();
  return reports;
}

/** Starts Kubernetes discovery, or exits 2 naming what is missing (no credentials, no namespace). */
async function startDiscoveryOrExit(config: Config, runtimeName: string, logger: Logger, now: () => number): Promise<Discovery> {
  try {
    const runtime: ApiRuntime = runtimeName === 'deno' || runtimeName === 'node' ? runtimeName : 'bun';
    return await startDiscovery(config, { env: process.env, readFile: (p) => readFile(p, 'utf8'), runtime, logger, random: Math.random, now });
  } catch (err) {
    if (!(err instanceof KubeCredentialsError)) throw err;
    process.stderr.write(`golb: ${err.message}\n`);
    process.exit(2);
  }
}
