/**
 * What golb's configuration is: the {@link Config} fields and their meaning,
 * and the defaults. How each is read from a variable or a flag, checked and
 * documented is `config.ts` (which re-exports all of this).
 * @module
 */

/** The strategies golb can balance with (`dummy` answers itself: the seed's test handler). */
export const HANDLER_TYPES = ['wrr', 'rr', 'random', 'p2c', 'chash', 'ewma', 'dummy'] as const;
/** One of {@link HANDLER_TYPES}. */
export type HandlerType = (typeof HANDLER_TYPES)[number];

/** The parsed configuration. Durations are in milliseconds, sizes in bytes. */
export interface Config {
  /** etcd endpoints `host:port`; empty means the embedded weights file is the source. */
  etcdHosts: string[];
  /** The zone: selects `golb/function/<zone>/` in etcd. */
  zone: string;
  /** The balancing strategy. */
  handlerType: HandlerType;
  /** `dev`: readable debug logs; `prod`: JSON lines at info level. */
  mode: 'dev' | 'prod';
  /** This gateway's name in headers and logs (`[A-Za-z0-9._-]` only). */
  nodeName: string;
  /** Host of the traffic listener. */
  listenHost: string;
  /** Port of the traffic listener. */
  listenPort: number;
  /** Addresses of the other gateways, as they appear in a weights entry's `ips`. */
  gateways: string[];
  /** The embedded source's file. */
  weightsFile: string;
  /** Bearer token for management writes; undefined refuses writes. */
  adminToken: string | undefined;
  /** Gateways a request may pass before it is refused with 508. */
  maxHops: number;
  /** Largest request body accepted, in bytes. */
  maxBodySize: number;
  /** Time allowed to open an upstream connection. */
  connectTimeoutMs: number;
  /** Time allowed for the upstream's response headers. */
  responseTimeoutMs: number;
  /** Time in-flight requests get to finish at shutdown. */
  drainTimeoutMs: number;
  /** At SIGTERM or SIGINT, how long `/readyz` answers 503 while golb still accepts, before it stops listening and drains. */
  shutdownDelayMs: number;
  /** Idle client connections are closed after this (proxied requests in progress are exempt). */
  clientIdleTimeoutMs: number;
  /** A request body with no progress for this long is answered 408 and its connection closed. */
  clientBodyTimeoutMs: number;
  /** A request body up to this many bytes is read whole before a backend is picked; a longer one streams. */
  requestBufferSize: number;
  /** Open client connections allowed per listener; past it new ones are closed at once. 0: derived from the descriptor limit at start. */
  maxConnections: number;
  /** Idle keep-alive upstream sockets are closed after this. */
  upstreamIdleTimeoutMs: number;
  /** Idle keep-alive sockets kept per upstream. */
  maxIdlePerUpstream: number;
  /** Further backends tried after a failure before any response byte. */
  retries: number;
  /** Path probed by active health checks; undefined disables them. */
  healthPath: string | undefined;
  /** Time between health probes. */
  healthIntervalMs: number;
  /** How often golb builds its load report (`app/load/`) and writes it to etcd; 0: no reports. */
  loadReportIntervalMs: number;
  /** Time a health probe may take. */
  healthTimeoutMs: number;
  /** Failed probes in a row that mark a backend unhealthy. */
  healthUnhealthy: number;
  /** Successful probes in a row that mark it healthy again. */
  healthHealthy: number;
  /** Host of the separate management listener; set exactly when `mgmtPort` is. */
  mgmtHost: string | undefined;
  /** Port of the separate management listener; undefined serves management on the traffic port. */
  mgmtPort: number | undefined;
  /** fnlb's node pool, `host:port` each. */
  nodes: string[];
  /** Log one line per request. */
  accessLog: boolean;
  /** The Go seed's trace headers on the client's response (`X-Forwarded-For: <node>` per gateway, `X-Forwarded-Host-<node>`, `X-Final-Host`), as edgerun's tools read them. */
  traceHeaders: boolean;
  /** Management reads need the admin token too. */
  readsNeedToken: boolean;
  /** fnlb's `-db`: `k8s` makes the node pool the pods a selector picks; any other value is fnlb's SQL store, accepted with a warning. */
  db: string | undefined;
  /** Kubernetes: the label selector picking the pods; empty: every pod of the namespace. */
  k8sLabelSelector: string;
  /** Kubernetes: the namespace; undefined: the service account's. */
  k8sNamespace: string | undefined;
  /** Kubernetes: the port golb sends to on each pod (fnlb's `-target-port`). */
  k8sTargetPort: number;
  /** Kubernetes: also make function backends of the selected pods. */
  k8sFunctions: boolean;
  /** Kubernetes: the label naming a pod's function; undefined: its first container's image name. */
  k8sFunctionLabel: string | undefined;
  /** Kubernetes: a kubeconfig file (outside a cluster); undefined: `KUBECONFIG`, else the service account. */
  kubeconfig: string | undefined;
  /** fnlb's `-min-api-version`: pool nodes whose health path does not answer `{"version": "x.y.z"}` at least this are not used; undefined: no gate. */
  minApiVersion: string | undefined;
  /** fnlb's `-zipkin` URL: accepted with a warning, golb sends no traces. */
  zipkin: string | undefined;
}

/** Default zone without etcd. */ export const DEFAULT_ZONE = 'local';
/** Default strategy. */ export const DEFAULT_HANDLER_TYPE: HandlerType = 'wrr';
/** Default log mode. */ export const DEFAULT_MODE: Config['mode'] = 'dev';
/** Default traffic host: every IPv4 interface. */ export const DEFAULT_LISTEN_HOST = '0.0.0.0';
/** Default traffic port. */ export const DEFAULT_LISTEN_PORT = 8080;
/** Default embedded weights file. */ export const DEFAULT_WEIGHTS_FILE = 'weights.json';
/** Default hop limit. */ export const DEFAULT_MAX_HOPS = 8;
/** Default body limit: 128 MiB. */ export const DEFAULT_MAX_BODY_SIZE = 128 * 1024 ** 2;
/** Default connect timeout. */ export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Default wait for response headers: generous, functions may compute long. */ export const DEFAULT_RESPONSE_TIMEOUT_MS = 300_000;
/** Default shutdown drain. */ export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** Default idle upstream socket lifetime: under the 5 s keep-alive of Node servers, so golb closes first. */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 4_000;
/** Idle client connections close after 60 s (Bun's ceiling is 255 s). */
export const DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 60_000;
/** Default wait for request body progress (nginx's client_body_timeout). */
export const DEFAULT_CLIENT_BODY_TIMEOUT_MS = 60_000;
/** Default request body read whole before a backend is picked (nginx's proxy_request_buffering, with its 64 KiB-ish buffers). */
export const DEFAULT_REQUEST_BUFFER_SIZE = 64 * 1024;
/** Default idle sockets per upstream: enough for a burst of 1,000 connections to reuse its sockets (64 made them reconnect constantly); they close after the idle timeout. */
export const DEFAULT_MAX_IDLE_PER_UPSTREAM = 1024;
/** Default retries (the spec's maximum). */ export const DEFAULT_RETRIES = 2;
/** Default load report interval: the optimisers see at most 5 s old figures. */ export const DEFAULT_LOAD_REPORT_INTERVAL_MS = 5_000;
/** Shortest load report interval: latency is recorded per second, and etcd takes one write per gateway and interval. */ export const MIN_LOAD_REPORT_INTERVAL_MS = 1_000;
/** Longest load report interval: the per-second latency record holds one minute. */ export const MAX_LOAD_REPORT_INTERVAL_MS = 60_000;
/** Default probe interval (fnlb's). */ export const DEFAULT_HEALTH_INTERVAL_MS = 3_000;
/** Default probe timeout (fnlb's). */ export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
/** Default failures before unhealthy (fnlb's). */ export const DEFAULT_HEALTH_UNHEALTHY = 2;
/** Default successes before healthy (fnlb's). */ export const DEFAULT_HEALTH_HEALTHY = 1;
/** Default pod port (fnlb's `-target-port`). */ export const DEFAULT_K8S_TARGET_PORT = 8080;
