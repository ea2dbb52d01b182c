import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, SETTINGS, parseConfig } from '../../app/config.ts';
import type { Config } from '../../app/config.ts';

type Env = Record<string, string | undefined>;
const HOST = 'machine-1';

/** Parses and expects a configuration (not help, no problems). */
function configOf(env: Env = {}, argv: readonly string[] = [], hostName = HOST): Config {
  const result = parseConfig(env, argv, hostName);
  assert.equal(result.help, false);
  if (result.help) throw new Error('unreachable');
  return result.config;
}

/** Parses and expects a ConfigError; returns its problem lines. */
function problemsOf(env: Env = {}, argv: readonly string[] = [], hostName = HOST): string[] {
  try {
    parseConfig(env, argv, hostName);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.message, err.problems.join('\n'));
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
}

const DEFAULTS: Config = {
  etcdHosts: [],
  zone: 'local',
  handlerType: 'wrr',
  mode: 'dev',
  nodeName: HOST,
  listenHost: '0.0.0.0',
  listenPort: 8080,
  gateways: [],
  weightsFile: 'weights.json',
  adminToken: undefined,
  maxHops: 8,
  maxBodySize: 128 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 300_000,
  shutdownDelayMs: 0,
  drainTimeoutMs: 30_000,
  clientIdleTimeoutMs: 60_000,
  clientBodyTimeoutMs: 60_000,
  requestBufferSize: 64 * 1024,
  maxConnections: 0,
  upstreamIdleTimeoutMs: 4_000,
  maxIdlePerUpstream: 1024,
  retries: 2,
  healthPath: undefined,
  healthIntervalMs: 3_000,
  healthTimeoutMs: 5_000,
  healthUnhealthy: 2,
  healthHealthy: 1,
  loadReportIntervalMs: 5_000,
  mgmtHost: undefined,
  mgmtPort: undefined,
  nodes: [],
  accessLog: false,
  traceHeaders: true,
  readsNeedToken: false,
  db: undefined,
  k8sLabelSelector: '',
  k8sNamespace: undefined,
  k8sTargetPort: 8080,
  k8sFunctions: false,
  k8sFunctionLabel: undefined,
  kubeconfig: undefined,
  minApiVersion: undefined,
  zipkin: undefined,
};

test('defaults: every field, nothing extra', () => {
  assert.deepEqual(configOf(), DEFAULTS);
});

test('defaults are not shared between parses', () => {
  configOf().gateways.push('mutated');
  assert.deepEqual(configOf().gateways, []);
});

/** [variable suffix, value, the fields it yields]; also drives the flag cases below. */
const READS: [string, string, Partial<Config>][] = [
  ['etcd_host', 'e1:2379, http://e2:2379/ ,[::1]:2379', { etcdHosts: ['e1:2379', 'e2:2379', '[::1]:2379'], zone: 'z1' }],
  ['zone', 'zone-b', { zone: 'zone-b' }],
  ['handler_type', 'p2c', { handlerType: 'p2c' }],
  ['handler_type', 'CHASH', { handlerType: 'chash' }],
  ['mode', 'prod', { mode: 'prod' }],
  ['node_name', 'edge.node_1', { nodeName: 'edge.node_1' }],
  ['listen_host', '127.0.0.1', { listenHost: '127.0.0.1' }],
  ['listen_host', '[::1]', { listenHost: '::1' }],
  ['listen_port', '9000', { listenPort: 9000 }],
  ['gateways', ' 10.0.0.1\t10.0.0.2\n 10.0.0.3 ', { gateways: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] }],
  ['gateways', 'a:8082,b:8082', { gateways: ['a:8082', 'b:8082'] }],
  ['weights_file', '/etc/golb/w.json', { weightsFile: '/etc/golb/w.json' }],
  ['admin_token', 's3cr3t-token', { adminToken: 's3cr3t-token' }],
  ['max_hops', '255', { maxHops: 255 }],
  ['max_body_size', '10m', { maxBodySize: 10 * 1024 * 1024 }],
  ['max_body_size', '3K', { maxBodySize: 3 * 1024 }],
  ['max_body_size', '1g', { maxBodySize: 1024 ** 3 }],
  ['max_body_size', '0', { maxBodySize: 0 }],
  ['connect_timeout', '1.5', { connectTimeoutMs: 1_500 }],
  ['response_timeout', '500ms', { responseTimeoutMs: 500 }],
  ['drain_timeout', '0', { drainTimeoutMs: 0 }],
  ['client_idle_timeout', '2', { clientIdleTimeoutMs: 2_000 }],
  ['upstream_idle_timeout', '1m30s', { upstreamIdleTimeoutMs: 90_000 }],
  ['upstream_max_idle', '0', { maxIdlePerUpstream: 0 }],
  ['retries', '0', { retries: 0 }],
  ['health_path', '/version', { healthPath: '/version' }],
  ['health_interval', '1h', { healthIntervalMs: 3_600_000 }],
  ['health_timeout', '2s', { healthTimeoutMs: 2_000 }],
  ['health_unhealthy', '5', { healthUnhealthy: 5 }],
  ['health_healthy', '3', { healthHealthy: 3 }],
  ['load_report_interval', '0', { loadReportIntervalMs: 0 }],
  ['load_report_interval', '1', { loadReportIntervalMs: 1_000 }],
  ['load_report_interval', '1m', { loadReportIntervalMs: 60_000 }],
  ['load_report_interval', '2500ms', { loadReportIntervalMs: 2_500 }],
  ['mgmt_port', '8081', { mgmtPort: 8081, mgmtHost: '0.0.0.0' }],
  ['nodes', 'h1:8080,h2:8080,', { nodes: ['h1:8080', 'h2:8080'] }],
  ['access_log', 'yes', { accessLog: true }],
  ['access_log', 'OFF', { accessLog: false }],
  ['trace_headers', 'off', { traceHeaders: false }],
  ['trace_headers', 'on', { traceHeaders: true }],
  ['protect_reads', '1', { readsNeedToken: true, adminToken: 't0ken' }],
  ['db', 'k8s', { db: 'k8s' }],
  ['db', 'sqlite3://:memory:', { db: 'sqlite3://:memory:' }],
  ['k8s_label_selector', 'app=fn,role=fn-service', { k8sLabelSelector: 'app=fn,role=fn-service' }],
  ['k8s_namespace', 'fn-system', { k8sNamespace: 'fn-system' }],
  ['k8s_target_port', '9090', { k8sTargetPort: 9090 }],
  ['k8s_functions', 'true', { k8sFunctions: true }],
  ['k8s_function_label', 'fn', { k8sFunctionLabel: 'fn' }],
  ['kubeconfig', '/etc/kube/config', { kubeconfig: '/etc/kube/config' }],
  ['min_api_version', '0.0.1', { minApiVersion: '0.0.1' }],
  ['min_api_version', 'v1.2.3', { minApiVersion: '1.2.3' }],
  ['zipkin', 'http://zipkin:9411/api/v2/spans', { zipkin: 'http://zipkin:9411/api/v2/spans' }],
];
/** etcd needs a zone, protected reads a token; give them so each case isolates its variable. */
const needs = (name: string): Env => (name === 'etcd_host' ? { eb_go_lb_zone: 'z1' } : name === 'protect_reads' ? { eb_go_lb_admin_token: 't0ken' } : {});
/** The k8s_function_label case needs function discovery on. */
const alsoNeeds = (name: string): Partial<Config> => (name === 'k8s_function_label' ? { k8sFunctions: true } : {});

test('every environment variable is read', async (t) => {
  for (const [name, value, want] of READS) {
    await t.test(`eb_go_lb_${name}=${JSON.stringify(value)}`, () => {
      const env = { ...needs(name), ...(name === 'k8s_function_label' ? { eb_go_lb_k8s_functions: 'true' } : {}), [`eb_go_lb_${name}`]: value };
      assert.deepEqual(configOf(env), { ...DEFAULTS, ...want, ...alsoNeeds(name) });
    });
  }
});

test('every variable has its flag, as --x y, --x=y and -x=y', async (t) => {
  for (const [name, value, want] of READS) {
    const flag = name.replaceAll('_', '-');
    for (const argv of [[`--${flag}`, value], [`--${flag}=${value}`], [`-${flag}=${value}`], [`-${flag}`, value]]) {
      await t.test(argv.join(' '), () => {
        const extra = name === 'k8s_function_label' ? ['--k8s-functions'] : [];
        assert.deepEqual(configOf(needs(name), [...argv, ...extra]), { ...DEFAULTS, ...want, ...alsoNeeds(name) });
      });
    }
  }
});

test('the table lists every variable the tests read, and each has its flag', () => {
  const envs = new Set(SETTINGS.map((s) => s.env));
  for (const [name] of READS) assert.ok(envs.has(`eb_go_lb_${name}`), name);
  for (const s of SETTINGS) {
    if (s.env !== undefined) assert.equal(s.flags[0], s.env.replace('eb_go_lb_', '').replaceAll('_', '-'));
  }
});

test('a flag wins over its variable, and the last flag wins', () => {
  const env = { eb_go_lb_listen_port: '9000', eb_go_lb_mode: 'prod' };
  assert.equal(configOf(env, ['--listen-port', '9001']).listenPort, 9001);
  assert.equal(configOf(env, ['--mode=dev']).mode, 'dev');
  assert.equal(configOf(env, ['--listen-port', '1', '--listen-port', '2']).listenPort, 2);
  assert.equal(configOf({}, ['--listen', ':2', '--listen', ':3']).listenPort, 3);
  // An alias is the same setting: fnlb's --hc-path and golb's --health-path.
  assert.equal(configOf({ eb_go_lb_health_path: '/a' }, ['--hc-path', '/b', '--health-path', '/c']).healthPath, '/c');
  // Two settings agreeing on a field are no contradiction.
  assert.equal(configOf({ eb_go_lb_listen_port: '9000', eb_go_lb_listen_host: '127.0.0.1' }, ['--listen', '127.0.0.1:9000']).listenPort, 9000);
});

test('list settings take commas, whitespace, or both', async (t) => {
  const forms = ['a:1,b:2', 'a:1 b:2', 'a:1, b:2', ' a:1\t,\n b:2 ,', 'a:1,,b:2'];
  for (const form of forms) {
    await t.test(JSON.stringify(form), () => {
      const c = configOf({ eb_go_lb_etcd_host: form, eb_go_lb_zone: 'z', eb_go_lb_gateways: form, eb_go_lb_nodes: form });
      assert.deepEqual([c.etcdHosts, c.gateways, c.nodes], [['a:1', 'b:2'], ['a:1', 'b:2'], ['a:1', 'b:2']]);
      const f = configOf({}, ['--etcd-host', form, '--zone', 'z', '--gateways', form, '--nodes', form]);
      assert.deepEqual([f.etcdHosts, f.gateways, f.nodes], [['a:1', 'b:2'], ['a:1', 'b:2'], ['a:1', 'b:2']]);
    });
  }
});

test("fnlb's command line", () => {
  const argv = ['--listen', ':8081', '--nodes', 'h1:8080,h2:8080', '--hc-interval', '3s', '--hc-path', '/version',
    '--hc-unhealthy', '4', '--hc-timeout', '500ms', '--mgmt-listen', '127.0.0.1:8082'];
  assert.deepEqual(configOf({}, argv), {
    ...DEFAULTS, listenHost: '0.0.0.0', listenPort: 8081, nodes: ['h1:8080', 'h2:8080'], healthIntervalMs: 3_000,
    healthPath: '/version', healthUnhealthy: 4, healthTimeoutMs: 500, mgmtHost: '127.0.0.1', mgmtPort: 8082,
  });
});

test("fnlb's Kubernetes DaemonSet args, unchanged", () => {
  const c = configOf({}, ['-db=k8s', '-label-selector=app=fn,role=fn-service', '-listen=:8080', '-mgmt-listen=:8080', '-namespace=fn', '-target-port=8081']);
  assert.deepEqual([c.db, c.k8sLabelSelector, c.k8sNamespace, c.k8sTargetPort, c.mgmtPort], ['k8s', 'app=fn,role=fn-service', 'fn', 8081, undefined]);
  problemsOf({}, ['--namespace', 'Not_A_Namespace']);
});

test("fnlb's flags with a single dash, Go style", () => {
  const c = configOf({}, ['-listen=:8081', '-nodes', 'a:1', '-hc-interval=250ms']);
  assert.deepEqual([c.listenHost, c.listenPort, c.nodes, c.healthIntervalMs], ['0.0.0.0', 8081, ['a:1'], 250]);
});

test('listen addresses: :port, host:port, [v6]:port', async (t) => {
  const cases: [string, string, number][] = [
    [':8081', '0.0.0.0', 8081], ['127.0.0.1:80', '127.0.0.1', 80], ['edge-1.local:9', 'edge-1.local', 9],
    ['[::]:8081', '::', 8081], ['[fe80::1%eth0]:1', 'fe80::1%eth0', 1],
  ];
  for (const [addr, host, port] of cases) {
    await t.test(addr, () => {
      const c = configOf({}, ['--listen', addr]);
      assert.deepEqual([c.listenHost, c.listenPort], [host, port]);
    });
  }
});

test('boolean flags may be bare or take a value', () => {
  assert.equal(configOf({}, ['--access-log']).accessLog, true);
  assert.equal(configOf({}, ['--access-log', '--mode', 'prod']).accessLog, true);
  assert.equal(configOf({ eb_go_lb_access_log: 'true' }, ['--access-log=false']).accessLog, false);
  assert.equal(configOf({}, ['--access-log', 'no']).accessLog, false);
  assert.equal(configOf({ eb_go_lb_admin_token: 't' }, ['-protect-reads']).readsNeedToken, true);
});

test('empty values count as unset', () => {
  assert.deepEqual(configOf({ eb_go_lb_listen_port: '', eb_go_lb_admin_token: '', eb_go_lb_etcd_host: '  ' }), DEFAULTS);
  assert.equal(configOf({ eb_go_lb_admin_token: 't' }, ['--admin-token=']).adminToken, undefined);
  assert.equal(configOf({ eb_go_lb_health_path: '/v' }, ['--hc-path=']).healthPath, undefined);
});

/** [variable suffix, bad value, a fragment of what is expected]. */
const BAD: [string, string, string][] = [
  ['etcd_host', 'e1:2379,nohost', 'host:port'],
  ['etcd_host', ':2379', 'host:port'],
  ['etcd_host', 'https://e1:2379', 'host:port'],
  ['zone', 'zone/b', 'A-Z a-z 0-9'],
  ['handler_type', 'least_conn', 'wrr, rr, random, p2c, chash, ewma, dummy'],
  ['mode', 'staging', 'dev, prod'],
  ['node_name', 'a b', 'A-Z a-z 0-9'],
  ['listen_host', 'a b', 'host name or IP'],
  ['listen_port', '80a', 'an integer from 1 to 65535'],
  ['listen_port', '0', 'an integer from 1 to 65535'],
  ['listen_port', '65536', 'an integer from 1 to 65535'],
  ['listen_port', '8.0', 'an integer from 1 to 65535'],
  ['admin_token', 'has space', 'visible ASCII'],
  ['max_hops', '256', 'an integer from 1 to 255'],
  ['max_body_size', '10x', 'suffix k, m or g'],
  ['max_body_size', '10mb', 'suffix k, m or g'],
  ['max_body_size', '1.5m', 'suffix k, m or g'],
  ['max_body_size', '-1', 'size in bytes ≥ 0'],
  ['connect_timeout', '0', 'seconds > 0'],
  ['connect_timeout', '5 s', 'seconds > 0'],
  ['response_timeout', '-1', 'seconds > 0'],
  ['response_timeout', '3000000', 'at most'], // past the 32-bit timer limit: would fire at once
  ['drain_timeout', '10d', 'seconds ≥ 0'],
  ['upstream_idle_timeout', 'soon', 'seconds > 0'],
  ['upstream_max_idle', '10001', 'an integer from 0 to 10000'],
  ['retries', '3', 'an integer from 0 to 2'],
  ['health_path', 'version', "starting with '/'"],
  ['health_interval', '0s', 'seconds > 0'],
  ['health_timeout', 'NaN', 'seconds > 0'],
  ['health_unhealthy', '0', 'an integer ≥ 1'],
  ['health_healthy', 'one', 'an integer ≥ 1'],
  ['load_report_interval', '0.5', '0 (off) or seconds from 1 to 60'],
  ['load_report_interval', '61s', '0 (off) or seconds from 1 to 60'],
  ['load_report_interval', 'often', '0 (off) or seconds from 1 to 60'],
  ['mgmt_host', '::1]', 'host name or IP'],
  ['mgmt_port', '99999', 'an integer from 1 to 65535'],
  ['nodes', 'h1:8080;h2:8080', 'host:port'],
  ['access_log', 'maybe', 'true, false'],
  ['trace_headers', 'sometimes', 'true, false'],
  ['protect_reads', '2', 'true, false'],
  ['min_api_version', '1.0', 'a version x.y.z'],
  ['min_api_version', '1.0.0-rc1', 'a version x.y.z'],
  ['min_api_version', '01.2.3', 'a version x.y.z without leading zeros'],
  ['min_api_version', '1.2.03', 'a version x.y.z without leading zeros'],
];

test('each kind of bad value is one problem naming the variable', async (t) => {
  for (const [name, value, expected] of BAD) {
    await t.test(`eb_go_lb_${name}=${JSON.stringify(value)}`, () => {
      const problems = problemsOf({ eb_go_lb_mgmt_port: name === 'mgmt_host' ? '9' : undefined, [`eb_go_lb_${name}`]: value });
      assert.equal(problems.length, 1, problems.join('\n'));
      const [line = ''] = problems;
      assert.ok(line.startsWith(`eb_go_lb_${name}: expected `), line);
      assert.ok(line.includes(expected), `${line} should mention ${expected}`);
    });
  }
});

test('a bad flag is named as written', () => {
  assert.deepEqual(problemsOf({}, ['--listen-port', '80a']), ['--listen-port: expected an integer from 1 to 65535, got "80a"']);
  assert.deepEqual(problemsOf({}, ['-listen=:0']), ['-listen: expected an address :port, host:port or [v6]:port with port 1 to 65535, got ":0"']);
  assert.match(problemsOf({}, ['--hc-interval', '3x'])[0] ?? '', /^--hc-interval: expected seconds > 0/);
  assert.deepEqual(problemsOf({}, ['--nodes', 'a:1,b']), ['--nodes: expected host:port entries separated by commas or spaces (port 1 to 65535), got "b"']);
});

test('a bad list entry is quoted, not the whole list', () => {
  const [line = ''] = problemsOf({ eb_go_lb_etcd_host: 'e1:2379,e2', eb_go_lb_zone: 'z' });
  assert.ok(line.endsWith('got "e2"'), line);
});

test('each gateway must be written as ips write addresses; a bad one is quoted', async (t) => {
  const cases: [string, string][] = [
    ['junk!!', 'junk!!'],
    [',127.0.0.1:47291;', '127.0.0.1:47291;'],
    ['127.0.0.1:047291', '127.0.0.1:047291'],
    ['10.0.0.1:8082 10.0.0.2:0', '10.0.0.2:0'],
    ['https://gw.example:443', 'https://gw.example:443'],
    ['[::1', '[::1'],
  ];
  for (const [value, quoted] of cases) {
    await t.test(JSON.stringify(value), () => {
      assert.deepEqual(problemsOf({}, ['--gateways', value]), [
        `--gateways: expected addresses as ips writes them (host, host:port, [v6]:port or http://host:port) separated by commas or spaces, got ${JSON.stringify(quoted)}`,
      ]);
    });
  }
  assert.deepEqual(configOf({}, ['--gateways', 'gw-b, 10.0.0.2:8082 [::1]:9 http://gw-c:8080/']).gateways, ['gw-b', '10.0.0.2:8082', '[::1]:9', 'http://gw-c:8080/']);
});

test('several problems are reported at once, in one error', () => {
  const problems = problemsOf(
    { eb_go_lb_listen_port: 'x', eb_go_lb_mode: 'loud', eb_go_lb_retries: '9' },
    ['--max-hops', '0', '--bogus', '--listen'],
  );
  assert.deepEqual(problems.map((p) => p.split(':')[0]), [
    'eb_go_lb_mode', 'eb_go_lb_listen_port', 'eb_go_lb_retries', '--max-hops', '--bogus', '--listen',
  ]);
});

test('a long bad value is truncated in the problem', () => {
  const [line = ''] = problemsOf({ eb_go_lb_mode: 'x'.repeat(500) });
  assert.ok(line.length < 160, line);
  assert.ok(line.includes(`"${'x'.repeat(59)}…"`), line);
});

test('the admin token is never repeated in a problem', () => {
  const [line = ''] = problemsOf({ eb_go_lb_admin_token: 'secret value' });
  assert.equal(line, 'eb_go_lb_admin_token: expected visible ASCII characters without spaces');
});

test('zone is required when etcd is used', () => {
  assert.deepEqual(problemsOf({ eb_go_lb_etcd_host: 'etcd:2379' }), [
    'eb_go_lb_zone: required when etcd is used (eb_go_lb_etcd_host is set)',
  ]);
  assert.match(problemsOf({}, ['--etcd-host', 'etcd:2379'])[0] ?? '', /required when etcd is used \(--etcd-host is set\)/);
  assert.equal(configOf({ eb_go_lb_etcd_host: 'etcd:2379' }, ['--zone', 'z']).zone, 'z');
  assert.equal(configOf({ eb_go_lb_etcd_host: 'http://etcd:2379', eb_go_lb_zone: 'z' }).etcdHosts[0], 'etcd:2379');
  // A bad zone is reported as bad, not also as missing.
  assert.equal(problemsOf({ eb_go_lb_etcd_host: 'etcd:2379', eb_go_lb_zone: 'a/b' }).length, 1);
});

test('node name: variable, then $HOSTNAME, then the host name; header-safe only', async (t) => {
  const ok: [Env, string, string][] = [
    [{ eb_go_lb_node_name: 'n1', HOSTNAME: 'h' }, HOST, 'n1'],
    [{ HOSTNAME: 'pod-7' }, HOST, 'pod-7'],
    [{ HOSTNAME: '' }, 'box.example', 'box.example'],
    [{}, 'box', 'box'],
  ];
  for (const [env, host, want] of ok) {
    await t.test(`${JSON.stringify(env)} ${host}`, () => assert.equal(configOf(env, [], host).nodeName, want));
  }
  const bad: [Env, string[], string, RegExp][] = [
    [{ HOSTNAME: 'my pod' }, [], HOST, /^HOSTNAME \(default of eb_go_lb_node_name\): expected .*, got "my pod"/],
    [{}, [], 'host:1', /^the host name \(default of eb_go_lb_node_name\): expected .*, got "host:1"/],
    [{}, [], '', /^the host name/],
    [{ eb_go_lb_node_name: 'a:b' }, [], HOST, /^eb_go_lb_node_name: expected .*, got "a:b"/],
    [{ HOSTNAME: 'ok' }, ['--node-name', 'a b'], HOST, /^--node-name: expected .*, got "a b"/],
  ];
  for (const [env, argv, host, want] of bad) {
    await t.test(`rejects ${JSON.stringify(env)} ${argv.join(' ')} ${JSON.stringify(host)}`, () => {
      const problems = problemsOf(env, argv, host);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0] ?? '', want);
    });
  }
});

test('protected reads need a token to read with', () => {
  assert.match(problemsOf({ eb_go_lb_protect_reads: 'true' })[0] ?? '', /^eb_go_lb_protect_reads: needs eb_go_lb_admin_token/);
  assert.equal(configOf({ eb_go_lb_protect_reads: 'false' }).readsNeedToken, false);
});

test('management listener: host follows the listen host; conflicts are problems', () => {
  const c = configOf({ eb_go_lb_listen_host: '10.0.0.5', eb_go_lb_mgmt_port: '9090' });
  assert.deepEqual([c.mgmtHost, c.mgmtPort], ['10.0.0.5', 9090]);
  assert.deepEqual(configOf({ eb_go_lb_mgmt_host: '127.0.0.1', eb_go_lb_mgmt_port: '9090' }).mgmtHost, '127.0.0.1');
  assert.match(problemsOf({ eb_go_lb_mgmt_host: '127.0.0.1' })[0] ?? '', /^eb_go_lb_mgmt_host: needs a management port/);
  assert.equal(configOf({ eb_go_lb_mgmt_host: '127.0.0.1', eb_go_lb_mgmt_port: '9' }, ['--mgmt-port=']).mgmtHost, undefined);
  // A bad port is reported once, without a follow-on complaint about the host.
  assert.equal(problemsOf({ eb_go_lb_mgmt_host: '127.0.0.1', eb_go_lb_mgmt_port: 'x' }).length, 1);
  // fnlb's Kubernetes example: the same address serves both, as one listener.
  const same = configOf({}, ['-listen=:8080', '-mgmt-listen=:8080']);
  assert.deepEqual([same.mgmtHost, same.mgmtPort, same.listenPort], [undefined, undefined, 8080]);
  assert.equal(configOf({}, ['--mgmt-port', '8080']).mgmtPort, undefined);
  assert.match(problemsOf({ eb_go_lb_mgmt_host: '127.0.0.1' }, ['--mgmt-port', '8080'])[0] ?? '', /^--mgmt-port: the listen port 8080 on another host/);
});

test('unknown flags, missing values and stray arguments are problems', async (t) => {
  const cases: [string[], string[]][] = [
    [['--bogus', 'x'], ['--bogus: unknown flag (--help lists them)']],
    [['-x'], ['-x: unknown flag (--help lists them)']],
    [['--listen-port'], ['--listen-port: missing value (expected --listen-port <port>)']],
    [['--zone', '--mode', 'prod'], ['--zone: missing value (expected --zone <name>)']],
    [['serve'], ['unexpected argument "serve": settings are given as --name value']],
  ];
  for (const [argv, want] of cases) {
    await t.test(argv.join(' '), () => assert.deepEqual(problemsOf({}, argv), want));
  }
});

test('--help and -h return the usage, one line per setting', async (t) => {
  for (const argv of [['--help'], ['-h'], ['--listen-port', 'bad', '--help'], ['-help']]) {
    await t.test(argv.join(' '), () => {
      const result = parseConfig({}, argv, HOST);
      assert.equal(result.help, true);
      if (!result.help) return;
      for (const s of SETTINGS) {
        const line = result.usage.split('\n').find((l) => l.includes(`--${s.flags[0]} `) || l.trimEnd().endsWith(s.doc));
        assert.ok(line, `no usage line for --${s.flags[0]}`);
        for (const part of [s.env ?? '', s.defaultText, s.doc, ...s.flags.map((f) => `--${f}`)]) {
          assert.ok(line.includes(part), `usage line "${line}" lacks "${part}"`);
        }
      }
    });
  }
});

test('--version prints golb and the version, as --help prints the usage', async () => {
  const { VERSION } = await import('../../app/version.ts');
  for (const flag of ['--version', '-version']) {
    const result = parseConfig({}, [flag], 'h');
    assert.deepEqual(result, { help: true, usage: `golb ${VERSION}` });
  }
  assert.match(VERSION, /^\d+\.\d+\.\d+$/);
});
