/**
 * golb's configuration: every setting, its default and its check in one table
 * ({@link SETTINGS}) that the parser, the usage text and docs/configuration.md
 * derive from (`npm run docs:config` rewrites the doc's table; a test fails when
 * it is stale).
 * Sources, weakest first: defaults, `eb_go_lb_*` variables (the seed's names),
 * flags in order given; fnlb's command line works too, so its users only change
 * the binary name. Pure: env, argv and host name are passed in.
 */
import { VERSION } from './version.ts';
import * as v from './config-values.ts';
import type { ValueParser, ValueResult } from './config-values.ts';
import { checkDerived, configWarnings, contradictions, type GivenValues, type SetBy } from './config-checks.ts';
import type { Warning } from './warnings.ts';
import {
  DEFAULT_CLIENT_BODY_TIMEOUT_MS, DEFAULT_CLIENT_IDLE_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HANDLER_TYPE,
  DEFAULT_HEALTH_HEALTHY, DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_HEALTH_UNHEALTHY, DEFAULT_K8S_TARGET_PORT,
  DEFAULT_LISTEN_HOST, DEFAULT_LISTEN_PORT, DEFAULT_LOAD_REPORT_INTERVAL_MS, MAX_LOAD_REPORT_INTERVAL_MS, MIN_LOAD_REPORT_INTERVAL_MS, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HOPS, DEFAULT_MAX_IDLE_PER_UPSTREAM, DEFAULT_MODE,
  DEFAULT_REQUEST_BUFFER_SIZE, DEFAULT_RESPONSE_TIMEOUT_MS, DEFAULT_RETRIES, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, DEFAULT_WEIGHTS_FILE,
  DEFAULT_ZONE, HANDLER_TYPES, type Config,
} from './config-model.ts';

export * from './config-model.ts';

/** Thrown by {@link parseConfig}: every problem found, one line each, naming the variable or flag. */
export class ConfigError extends Error {
  /** One line per problem, e.g. `eb_go_lb_listen_port: expected an integer from 1 to 65535, got "80a"`. */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** What golb was asked to do with the configuration: serve, or `golb healthcheck` (ask a running golb's `/readyz`). */
export type Command = 'serve' | 'healthcheck';

/**
 * What the command line asked for: a text to print and exit 0 with (`--help`,
 * `--version`), or a configuration with the command, and the warnings the
 * configuration carries by itself (`config-checks.ts`), for golb to raise.
 */
export type ParseResult = { help: true; usage: string } | { help: false; config: Config; command: Command; warnings: Warning[] };

/** One setting as golb reads and documents it: a row of {@link SETTINGS}. */
export interface Setting {
  /** Environment variable; undefined for fnlb's flag-only addresses (`--listen`, `--mgmt-listen`). */
  readonly env: string | undefined;
  /** Flag names without dashes: golb's first, then fnlb's aliases. */
  readonly flags: readonly string[];
  /** The {@link Config} fields the setting writes. */
  readonly keys: readonly (keyof Config)[];
  /** Default values of `keys` (empty when another row owns them). */
  readonly defaults: Partial<Config>;
  /** The default as the usage text and docs/configuration.md show it. */
  readonly defaultText: string;
  /** Placeholder for the value in usage, e.g. `<port>`; empty for booleans. */
  readonly valueHint: string;
  /** One line: what the setting means. */
  readonly doc: string;
  /** Boolean flags may be given bare (`--access-log`). */
  readonly isBoolean: boolean;
  /** The value is never repeated in problems (tokens). */
  readonly isSecret: boolean;
  /** Reads a trimmed raw value into the fields it sets. */
  readonly read: (raw: string) => ValueResult<Partial<Config>>;
}

interface FieldOptions {
  aliases?: readonly string[];
  hint?: string;
  defaultText?: string;
  secret?: boolean;
}

/** A row that sets one field from `eb_go_lb_<name>` / `--<name-with-dashes>`. */
function field<K extends keyof Config>(
  key: K, name: string, parse: ValueParser<Config[K]>, defaultValue: Config[K], doc: string, opts: FieldOptions = {},
): Setting {
  const defaults: Partial<Config> = {};
  defaults[key] = defaultValue;
  const shown = Array.isArray(defaultValue) ? defaultValue.join(',') || 'empty' : String(defaultValue ?? 'unset');
  return {
    env: `eb_go_lb_${name}`, flags: [name.replaceAll('_', '-'), ...(opts.aliases ?? [])], keys: [key], defaults,
    defaultText: opts.defaultText ?? shown, valueHint: typeof defaultValue === 'boolean' ? '' : (opts.hint ?? '<value>'),
    doc, isBoolean: typeof defaultValue === 'boolean', isSecret: opts.secret ?? false,
    read: (raw) => {
      const r = parse(raw);
      if (!r.ok) return r;
      const out: Partial<Config> = {};
      out[key] = r.value;
      return { ok: true, value: out };
    },
  };
}

/** A duration row: seconds or a Go duration, default shown in seconds. */
function duration(key: keyof Config & `${string}Ms`, name: string, allowZero: boolean, ms: number, doc: string, aliases: readonly string[] = []): Setting {
  return field(key, name, v.duration(allowZero), ms, doc, { aliases, hint: '<seconds>', defaultText: `${ms / 1000}s` });
}

/** fnlb's `--listen`/`--mgmt-listen`: one address setting a host and a port row's fields. */
function address(flag: string, host: 'listenHost' | 'mgmtHost', port: 'listenPort' | 'mgmtPort', defaultText: string, doc: string): Setting {
  return {
    env: undefined, flags: [flag], keys: [host, port], defaults: {}, defaultText, valueHint: '<addr>', doc,
    isBoolean: false, isSecret: false,
    read: (raw) => {
      const r = v.listenAddress(raw);
      return r.ok ? { ok: true, value: { [host]: r.value.host, [port]: r.value.port } } : r;
    },
  };
}

const port = v.intRange(1, 65535);

/** Every setting golb reads, in the order the usage text lists them. */
export const SETTINGS: readonly Setting[] = [
  field('etcdHosts', 'etcd_host', v.hostPortList(true), [], 'etcd endpoints host:port, separated by commas or spaces; unset: the embedded weights file', { hint: '<host:port,...>', defaultText: 'unset' }),
  field('zone', 'zone', v.safeName, DEFAULT_ZONE, 'the zone (weights under golb/function/<zone>/); required with etcd', { hint: '<name>' }),
  field('handlerType', 'handler_type', v.oneOf(HANDLER_TYPES), DEFAULT_HANDLER_TYPE, `the strategy: ${HANDLER_TYPES.join(', ')}`, { hint: '<type>' }),
  field('mode', 'mode', v.oneOf(['dev', 'prod'] as const), DEFAULT_MODE, 'dev: readable debug logs; prod: JSON lines at info level', { hint: '<dev|prod>' }),
  field('nodeName', 'node_name', v.safeName, '', "this gateway's name in headers and logs, [A-Za-z0-9._-]", { hint: '<name>', defaultText: '$HOSTNAME, else the host name' }),
  field('listenHost', 'listen_host', v.listenHost, DEFAULT_LISTEN_HOST, 'host of the traffic listener', { hint: '<host>' }),
  field('listenPort', 'listen_port', port, DEFAULT_LISTEN_PORT, 'the traffic port', { hint: '<port>' }),
  address('listen', 'listenHost', 'listenPort', `:${DEFAULT_LISTEN_PORT}`, "fnlb's traffic address: :port, host:port or [v6]:port"),
  field('gateways', 'gateways', v.addressList, [], 'the other gateways, each written as ips write addresses (host, host:port, [v6]:port or http://host:port), separated by commas or spaces; a bad entry stops golb', { hint: '<addrs>' }),
  field('weightsFile', 'weights_file', v.nonEmpty, DEFAULT_WEIGHTS_FILE, "the embedded source's file", { hint: '<path>' }),
  field('adminToken', 'admin_token', v.optional(v.bearerToken), undefined, 'bearer token for management writes; unset: writes refused', { hint: '<token>', secret: true }),
  field('readsNeedToken', 'protect_reads', v.boolean, false, 'management reads need the admin token too'),
  field('maxHops', 'max_hops', v.intRange(1, 255), DEFAULT_MAX_HOPS, 'gateways a request may pass before it is refused with 508', { hint: '<n>' }),
  field('maxBodySize', 'max_body_size', v.byteSize, DEFAULT_MAX_BODY_SIZE, 'largest request body; suffix k, m or g', { hint: '<size>', defaultText: '128m' }),
  duration('connectTimeoutMs', 'connect_timeout', false, DEFAULT_CONNECT_TIMEOUT_MS, 'time to connect to an upstream'),
  duration('responseTimeoutMs', 'response_timeout', false, DEFAULT_RESPONSE_TIMEOUT_MS, "time to wait for an upstream's response headers"),
  duration('shutdownDelayMs', 'shutdown_delay', true, 0, 'at SIGTERM or SIGINT, /readyz answers 503 and golb keeps accepting for this long before it stops listening and drains (so load balancers in front stop sending first)'),
  duration('drainTimeoutMs', 'drain_timeout', true, DEFAULT_DRAIN_TIMEOUT_MS, "time requests in flight get to finish at shutdown; 0: stop at once (fnlb's -shutdown-timeout, whose default was 0)", ['shutdown-timeout']),
  duration('clientIdleTimeoutMs', 'client_idle_timeout', false, DEFAULT_CLIENT_IDLE_TIMEOUT_MS, 'idle client connections close after this (at most 255 s); requests being proxied are exempt, but a response its client reads nothing of for this long is given up'),
  duration('clientBodyTimeoutMs', 'client_body_timeout', false, DEFAULT_CLIENT_BODY_TIMEOUT_MS, 'a request body with no progress for this long is answered 408 and its connection closed'),
  field('requestBufferSize', 'request_buffer', v.byteSize, DEFAULT_REQUEST_BUFFER_SIZE, 'a request body up to this size is read whole before a backend is picked (a slow client holds no backend); a longer one streams; 0: always stream', { hint: '<size>', defaultText: '64k' }),
  field('maxConnections', 'max_connections', v.intRange(0, 10_000_000), 0, 'open client connections per listener; past it new ones are closed at once, unread; 0: from the descriptor limit, 256 kept back, the rest halved (a third with a management port), as a proxied connection also holds an upstream socket', { hint: '<n>', defaultText: 'auto (0)' }),
  duration('upstreamIdleTimeoutMs', 'upstream_idle_timeout', false, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, 'idle upstream keep-alive sockets close after this'),
  field('maxIdlePerUpstream', 'upstream_max_idle', v.intRange(0, 10_000), DEFAULT_MAX_IDLE_PER_UPSTREAM, 'idle keep-alive sockets kept per upstream', { hint: '<n>' }),
  field('retries', 'retries', v.intRange(0, 2), DEFAULT_RETRIES, 'other backends tried after a failure before any response byte', { hint: '<n>' }),
  field('healthPath', 'health_path', v.optional(v.urlPath), undefined, 'path for active health checks; unset: none', { aliases: ['hc-path'], hint: '<path>' }),
  duration('healthIntervalMs', 'health_interval', false, DEFAULT_HEALTH_INTERVAL_MS, 'time between health probes', ['hc-interval']),
  duration('healthTimeoutMs', 'health_timeout', false, DEFAULT_HEALTH_TIMEOUT_MS, 'time a health probe may take', ['hc-timeout']),
  field('healthUnhealthy', 'health_unhealthy', v.intRange(1, Number.MAX_SAFE_INTEGER), DEFAULT_HEALTH_UNHEALTHY, 'failed probes that mark a backend down', { aliases: ['hc-unhealthy'], hint: '<n>' }),
  field('healthHealthy', 'health_healthy', v.intRange(1, Number.MAX_SAFE_INTEGER), DEFAULT_HEALTH_HEALTHY, 'passed probes that mark it up again', { aliases: ['hc-healthy'], hint: '<n>' }),
  field('loadReportIntervalMs', 'load_report_interval', v.durationOffOrRange(MIN_LOAD_REPORT_INTERVAL_MS, MAX_LOAD_REPORT_INTERVAL_MS), DEFAULT_LOAD_REPORT_INTERVAL_MS, `how often golb reports its load per function and backend (GET /1/lb/load; with etcd under golb/load/<zone>/<node>, on a lease); ${MIN_LOAD_REPORT_INTERVAL_MS / 1000} to ${MAX_LOAD_REPORT_INTERVAL_MS / 1000} s; 0: no reports`, { hint: '<seconds>', defaultText: `${DEFAULT_LOAD_REPORT_INTERVAL_MS / 1000}s` }),
  field('mgmtHost', 'mgmt_host', v.optional(v.listenHost), undefined, 'host of the management listener; needs a management port', { hint: '<host>', defaultText: 'the listen host' }),
  field('mgmtPort', 'mgmt_port', v.optional(port), undefined, 'separate management port; unset: management on the traffic port', { hint: '<port>' }),
  address('mgmt-listen', 'mgmtHost', 'mgmtPort', 'unset', "fnlb's management address: :port, host:port or [v6]:port"),
  field('nodes', 'nodes', v.hostPortList(false), [], "fnlb's node pool: host:port, separated by commas or spaces", { hint: '<host:port,...>' }),
  field('minApiVersion', 'min_api_version', v.optional(v.apiVersion), undefined, 'pool nodes must answer their health path (/version) with JSON {"version": "x.y.z"} at least this; a lower or unreadable one keeps the node out; unset: no version check (fnlb defaulted to 0.0.1)', { hint: '<x.y.z>' }),
  field('accessLog', 'access_log', v.boolean, false, 'log one line per request'),
  field('traceHeaders', 'trace_headers', v.boolean, true, "the Go seed's trace headers on the client's response (X-Forwarded-For: <node> per gateway, X-Forwarded-Host-<node>, X-Final-Host), as edgerun's tools read them; off: none"),
  field('db', 'db', v.optional(v.nonEmpty), undefined, "fnlb's -db: k8s follows the pods --label-selector picks as the node pool; fnlb's SQL URLs are accepted with a warning (the pool lives in etcd or memory)", { hint: '<k8s>' }),
  field('zipkin', 'zipkin', v.optional(v.nonEmpty), undefined, "fnlb's Zipkin URL: accepted with a warning; golb sends no traces (the access log and /metrics instead)", { hint: '<url>' }),
  field('k8sLabelSelector', 'k8s_label_selector', v.labelSelector, '', 'Kubernetes: the label selector picking the pods', { aliases: ['label-selector'], hint: '<selector>', defaultText: 'every pod' }),
  field('k8sNamespace', 'k8s_namespace', v.optional(v.dnsLabel), undefined, "Kubernetes: the pods' namespace", { aliases: ['namespace'], hint: '<name>', defaultText: "the service account's" }),
  field('k8sTargetPort', 'k8s_target_port', port, DEFAULT_K8S_TARGET_PORT, "Kubernetes: the pods' port", { aliases: ['target-port'], hint: '<port>' }),
  field('k8sFunctions', 'k8s_functions', v.boolean, false, 'Kubernetes: every ready selected pod is also a backend of a function (--k8s-function-label, else its image name); etcd or file weights win'),
  field('k8sFunctionLabel', 'k8s_function_label', v.optional(v.nonEmpty), undefined, "Kubernetes: the label whose value names a pod's function", { hint: '<label>', defaultText: "the first container's image name" }),
  field('kubeconfig', 'kubeconfig', v.optional(v.nonEmpty), undefined, 'Kubernetes: a kubeconfig outside a cluster (also KUBECONFIG); in a pod the service account is used', { hint: '<path>' }),
];

const BY_FLAG = new Map(SETTINGS.flatMap((s) => s.flags.map((f) => [f, s] as const)));

/** The `--help` text: one line per setting with its flags, variable, default and meaning. */
export function usageText(): string {
  const rows = SETTINGS.map((s) => [
    `${s.flags.map((f) => `--${f}`).join(', ')} ${s.valueHint}`.trimEnd(), s.env ?? '-', s.defaultText, s.doc,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}`);
  return [
    'Usage: golb [flags]              serve',
    '       golb healthcheck [flags]  ask the golb these settings describe for /readyz: exit 0 when ready, else 1',
    '       golb --version            print the version',
    '       golb --help               print this text',
    '',
    'Each setting comes from its environment variable; a flag wins over it. Flags take --name value',
    'or --name=value, with one dash or two. Durations are seconds (0.5) or Go durations (500ms, 3s, 1m).',
    '',
    ...lines,
    '',
  ].join('\n');
}

/** The subcommand for container health checks (`golb healthcheck`, `app/healthcheck.ts`). */
const HEALTHCHECK = 'healthcheck';

/** A flag that may consume the next argument as its value: anything but another flag (negative numbers are values). */
const looksLikeFlag = (arg: string): boolean => /^-[^\d.]/.test(arg);

/**
 * Reads golb's configuration from the environment and the command line.
 * `hostName` is the machine's host name, the node name's last fallback; as a
 * function it is asked only then (on Bun, `os.hostname()` holds about 0.5 MB).
 * @throws {ConfigError} listing every problem at once.
 */
export function parseConfig(env: Record<string, string | undefined>, argv: readonly string[], hostName: string | (() => string)): ParseResult {
  const problems: string[] = [];
  const draft: Partial<Config> = {};
  /**
   * Which variable or flag (as written) last gave each field, valid or not:
   * cross-setting checks name it, and skip fields already reported as bad.
   */
  const setBy: SetBy = new Map();
  /** Each field's value by the settings that gave one: two settings disagreeing is a contradiction. */
  const given: GivenValues = new Map();
  let command: Command = 'serve';
  const apply = (s: Setting, source: string, raw: string): void => {
    for (const k of s.keys) setBy.set(k, source);
    const r = s.read(raw);
    if (!r.ok) {
      problems.push(`${source}: expected ${r.expected}${s.isSecret ? '' : `, got ${v.echoValue(r.got ?? raw)}`}`);
      return;
    }
    Object.assign(draft, r.value);
    for (const k of s.keys) {
      const byRow = given.get(k) ?? new Map();
      given.set(k, byRow.set(s, { row: s, source, raw, value: r.value[k] }));
    }
  };

  // List defaults are copied: they must not be shared between parses or with
  // callers. (Not structuredClone: on Bun its first use holds about 1 MB.)
  for (const s of SETTINGS) {
    for (const [key, value] of Object.entries(s.defaults)) (draft as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  }
  for (const s of SETTINGS) {
    // An empty variable counts as unset: compose files and shells often export `X=`.
    const raw = s.env === undefined ? undefined : env[s.env]?.trim();
    if (s.env !== undefined && raw) apply(s, s.env, raw);
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === HEALTHCHECK) {
      command = 'healthcheck';
      continue;
    }
    const m = /^(--?)([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      problems.push(`unexpected argument ${v.echoValue(arg)}: settings are given as --name value`);
      continue;
    }
    const written = `${m[1]}${m[2]}`;
    if (m[2] === 'help' || m[2] === 'h') return { help: true, usage: usageText() };
    if (m[2] === 'version') return { help: true, usage: `golb ${VERSION}` };
    const setting = BY_FLAG.get(m[2] ?? '');
    if (!setting) {
      problems.push(`${v.clip(written)}: unknown flag (--help lists them)`);
      // Its value, if any, would only add a confusing "unexpected argument" line.
      if (m[3] === undefined && argv[i + 1] !== undefined && !looksLikeFlag(argv[i + 1] ?? '')) i++;
      continue;
    }
    let raw = m[3];
    const next = argv[i + 1];
    if (raw === undefined && next !== undefined && !looksLikeFlag(next)) {
      raw = next;
      i++;
    }
    if (raw === undefined && setting.isBoolean) raw = 'true';
    if (raw === undefined) problems.push(`${written}: missing value (expected ${written} ${setting.valueHint})`);
    else apply(setting, written, raw.trim());
  }

  problems.push(...contradictions(given));
  checkDerived(draft, setBy, env, hostName, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  // Every Config key has a row with a default, nodeName and mgmtHost are settled
  // by checkDerived; the defaults test compares the whole object to catch a gap.
  const config = draft as Config;
  return { help: false, config, command, warnings: configWarnings(config, setBy) };
}
