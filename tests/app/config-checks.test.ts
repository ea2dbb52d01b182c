/**
 * The checks across settings (app/config-checks.ts): contradictions and
 * settings that cannot work together stop golb with one line each; a legal
 * but probably wrong configuration is a warning naming the settings as
 * written; fnlb's whole command line is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../app/config.ts';
import type { Config } from '../../app/config.ts';

type Env = Record<string, string | undefined>;
const HOST = 'machine-1';

function configOf(env: Env = {}, argv: readonly string[] = []): Config {
  const result = parseConfig(env, argv, HOST);
  if (result.help) return assert.fail('expected a configuration');
  return result.config;
}

function warningsOf(env: Env = {}, argv: readonly string[] = []): { code: string; message: string }[] {
  const result = parseConfig(env, argv, HOST);
  if (result.help) return assert.fail('expected a configuration');
  return result.warnings;
}

function problemsOf(env: Env = {}, argv: readonly string[] = []): string[] {
  try {
    parseConfig(env, argv, HOST);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
}

test('two settings giving one field different values stop golb, one line naming both', async (t) => {
  const cases: [Env, string[], string[]][] = [
    [{}, ['--listen', '127.0.0.1:8181', '--listen-port', '8182'],
      ['--listen 127.0.0.1:8181 contradicts --listen-port 8182: both set the listen port (8181, 8182); give one of them']],
    [{ eb_go_lb_listen_port: '9000' }, ['--listen', ':9001'],
      ['eb_go_lb_listen_port=9000 contradicts --listen :9001: both set the listen port (9000, 9001); give one of them']],
    [{ eb_go_lb_listen_host: '127.0.0.1' }, ['-listen=:8080'],
      ['eb_go_lb_listen_host=127.0.0.1 contradicts -listen :8080: both set the listen host (127.0.0.1, 0.0.0.0); give one of them']],
    [{}, ['--mgmt-port', '9090', '--mgmt-listen', '127.0.0.1:9091', '--mgmt-host', '10.0.0.1'], [
      '--mgmt-listen 127.0.0.1:9091 contradicts --mgmt-host 10.0.0.1: both set the management host (127.0.0.1, 10.0.0.1); give one of them',
      '--mgmt-port 9090 contradicts --mgmt-listen 127.0.0.1:9091: both set the management port (9090, 9091); give one of them',
    ]],
  ];
  for (const [env, argv, want] of cases) {
    await t.test(`${JSON.stringify(env)} ${argv.join(' ')}`, () => assert.deepEqual(problemsOf(env, argv).sort(), [...want].sort()));
  }
});

test('no warning by default, nor for a complete etcd or Kubernetes setup', () => {
  assert.deepEqual(warningsOf(), []);
  assert.deepEqual(warningsOf({ eb_go_lb_etcd_host: 'e:2379', eb_go_lb_zone: 'z', eb_go_lb_gateways: 'a:1,b:1' }), []);
  assert.deepEqual(warningsOf({}, ['-db=k8s', '-label-selector=app=fn', '-namespace=fn', '-target-port=8081']), []);
});

test("a zone without etcd warns, naming both, the weights file, and the seed's localhost:2379", () => {
  assert.deepEqual(warningsOf({ eb_go_lb_zone: 'zone-b', eb_go_lb_weights_file: '/etc/golb/w.json' }), [{
    code: 'zone_without_etcd',
    message: 'eb_go_lb_zone is set (zone-b) but eb_go_lb_etcd_host is not: golb serves the weights file /etc/golb/w.json; '
      + 'the Go seed defaulted to etcd at localhost:2379 (set eb_go_lb_etcd_host=localhost:2379 to keep that)',
  }]);
  assert.match(warningsOf({}, ['--zone', 'z'])[0]?.message ?? '', /^--zone is set \(z\) but eb_go_lb_etcd_host is not: golb serves the weights file weights.json;/);
});

test("fnlb's flags golb does not act on are accepted with one warning each, saying what golb does instead", () => {
  const codes = (argv: string[]) => warningsOf({}, argv).map((w) => w.code);
  assert.deepEqual(codes(['-zipkin', 'http://zipkin:9411/api/v2/spans']), ['fnlb_zipkin']);
  assert.match(warningsOf({}, ['-zipkin=http://z:9411'])[0]?.message ?? '', /^-zipkin: golb does not send Zipkin traces; use the access log/);
  assert.deepEqual(codes(['-db=sqlite3://:memory:']), ['fnlb_db']);
  assert.match(warningsOf({}, ['-db', 'mysql://u@t(db:3306)/fn'])[0]?.message ?? '', /^-db: fnlb's SQL store is not used; the node pool lives in etcd/);
  assert.deepEqual(codes(['-db=k8s', '-nodes', 'a:1']), ['nodes_ignored']);
  assert.deepEqual(codes(['-namespace=fn', '-label-selector=app=fn']), ['kubernetes_settings_unused']);
  assert.match(warningsOf({}, ['-namespace=fn', '-target-port', '81'])[0]?.message ?? '', /^-namespace, -target-port: ignored, golb follows no pods/);
  assert.deepEqual(codes(['--etcd-host', 'e:1', '--zone', 'z', '--weights-file', 'w.json']), ['weights_file_unused']);
});

test('--k8s-function-label without --k8s-functions stops golb', () => {
  assert.deepEqual(problemsOf({}, ['--k8s-function-label', 'fn']), [
    '--k8s-function-label: has no effect without eb_go_lb_k8s_functions=true (--k8s-functions); set that too, or drop it',
  ]);
  assert.equal(configOf({}, ['--k8s-function-label', 'fn', '--k8s-functions']).k8sFunctionLabel, 'fn');
});

test("fnlb's whole command line: every flag of its main.go", () => {
  const argv = ['-listen=:8081', '-mgmt-listen=:8081', '-nodes=a:8080,b:8080', '-db=sqlite3://:memory:', '-min-api-version=0.0.1',
    '-shutdown-timeout=0', '-hc-interval=3', '-hc-path=/version', '-hc-unhealthy=2', '-hc-healthy=1', '-hc-timeout=5',
    '-zipkin=http://zipkin:9411/api/v2/spans', '-namespace=fn', '-label-selector=app=fn,role=fn-service', '-target-port=8080'];
  for (const args of [argv, argv.map((a) => `-${a}`), argv.flatMap((a) => a.split(/=(.*)/s, 2))]) {
    const result = parseConfig({}, args, HOST);
    assert.equal(result.help, false);
    if (result.help) return;
    const c = result.config;
    assert.deepEqual([c.listenPort, c.mgmtPort, c.nodes, c.db, c.minApiVersion, c.drainTimeoutMs, c.healthHealthy, c.healthPath, c.zipkin],
      [8081, undefined, ['a:8080', 'b:8080'], 'sqlite3://:memory:', '0.0.1', 0, 1, '/version', 'http://zipkin:9411/api/v2/spans']);
    assert.deepEqual(result.warnings.map((w) => w.code), ['fnlb_db', 'fnlb_zipkin', 'kubernetes_settings_unused']);
  }
  assert.equal(configOf({}, ['--hc-healthy', '3']).healthHealthy, 3);
  assert.equal(configOf({}, ['--shutdown-timeout', '10']).drainTimeoutMs, 10_000);
});

test('golb healthcheck: the subcommand, with the same settings', () => {
  const result = parseConfig({ eb_go_lb_listen_port: '9000' }, ['healthcheck', '--listen-host', '127.0.0.2'], HOST);
  assert.equal(result.help, false);
  if (result.help) return;
  assert.deepEqual([result.command, result.config.listenHost, result.config.listenPort], ['healthcheck', '127.0.0.2', 9000]);
  const serve = parseConfig({}, [], HOST);
  assert.equal(!serve.help && serve.command, 'serve');
});
