import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ExpositionWriter, labelValue, sampleValue } from '../../../app/metrics/exposition-format.ts';
import { processFigures, renderMetrics, sourceFigures } from '../../../app/metrics/exposition.ts';
import { MetricsObserver } from '../../../app/metrics/observer.ts';
import { parseAddress, type FunctionSpec } from '../../../app/sources/function-value.ts';
import type { WeightSource } from '../../../app/sources/source.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { BackendStates } from '../../../strategies/backend-state.ts';

function spec(weights: Record<string, number>): FunctionSpec {
  const targets = Object.entries(weights).map(([a, weight]) => {
    const t = parseAddress(a);
    if (typeof t === 'string') throw new Error(t);
    return { ...t, weight };
  });
  return { targets, strategy: undefined };
}

const source = (extra: object = {}): WeightSource =>
  ({ kind: 'etcd', ready: true, refused: 3, start: async () => {}, put: async () => {}, remove: async () => {}, close: async () => {}, ...extra }) as WeightSource;

function setup() {
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: () => 0.5, now: () => 0 }, states });
  table.set('f', spec({ '10.0.0.1:80': 3, '10.0.0.2:80': 1 }));
  const observer = new MetricsObserver({ table, now: () => 1_700_000_000_000 });
  const figures = { residentBytes: 1000, heapBytes: 500, cpuSeconds: 1.5, startTimeSeconds: 1_699_999_000 };
  const inputs = { table, states, source: source({ connected: true, revision: 42 }), monotonic: () => 10_000, process: () => figures };
  return { states, table, observer, inputs };
}

const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

test('label values escape backslash, quote and line feed; values spell infinities', () => {
  assert.equal(labelValue('plain:80'), 'plain:80');
  assert.equal(labelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(sampleValue(Infinity), '+Inf');
  assert.equal(sampleValue(-Infinity), '-Inf');
  assert.equal(sampleValue(NaN), 'NaN');
  assert.equal(sampleValue(7), '7');
  const text = new ExpositionWriter().family('x_total', 'counter', 'line\none \\ two').sample('x_total', `l="${labelValue('"')}"`, 1).toString();
  assert.equal(text, '# HELP x_total line\\none \\\\ two\n# TYPE x_total counter\nx_total{l="\\""} 1\n');
});

test('the document has every family with the counted samples', () => {
  const { states, observer, inputs } = setup();
  for (let i = 0; i < 7; i++) observer.response('f', '10.0.0.1:80', 200, 2);
  observer.response('f', '10.0.0.1:80', 503, 2);
  observer.upstreamError('f', '10.0.0.2:80', 'connect');
  observer.retry('f');
  observer.rejected('nope', 'unknown_function');
  states.get('10.0.0.2:80').downUntil = 20_000;
  states.get('10.0.0.1:80').inFlight = 2;
  const text = renderMetrics(observer, inputs);
  const lines = new Set(text.split('\n'));
  for (const line of [
    'golb_requests_total{function="f",backend="10.0.0.1:80",code="2xx"} 7',
    'golb_requests_total{function="f",backend="10.0.0.1:80",code="5xx"} 1',
    'golb_request_duration_seconds_bucket{function="f",le="0.001"} 0',
    'golb_request_duration_seconds_bucket{function="f",le="0.0025"} 8',
    'golb_request_duration_seconds_bucket{function="f",le="+Inf"} 8',
    'golb_request_duration_seconds_count{function="f"} 8',
    'golb_upstream_errors_total{function="f",backend="10.0.0.2:80",failure="connect"} 1',
    'golb_retries_total{function="f"} 1',
    'golb_rejected_total{error="unknown_function"} 1',
    'golb_backend_up{backend="10.0.0.1:80"} 1',
    'golb_backend_up{backend="10.0.0.2:80"} 0',
    'golb_backend_in_flight{backend="10.0.0.1:80"} 2',
    'golb_backend_weight{function="f",backend="10.0.0.1:80"} 3',
    'golb_source_connected{source="etcd"} 1',
    'golb_source_revision{source="etcd"} 42',
    'golb_source_values_refused_total{source="etcd"} 3',
    'golb_functions 1',
    'process_resident_memory_bytes 1000',
    'process_cpu_seconds_total 1.5',
    'process_start_time_seconds 1699999000',
  ]) {
    assert.ok(lines.has(line), `missing: ${line}\n${text}`);
  }
  assert.ok(!text.includes('code="4xx"'), 'classes never seen are left out');
  assert.ok(!text.includes('function="nope"'), 'a made-up name is no label');
});

test("the listeners' connection caps and counts, when golb serves", () => {
  const { observer, inputs } = setup();
  assert.ok(!renderMetrics(observer, inputs).includes('golb_connections_'), 'no listener, no family');
  const listeners = [
    { listener: 'traffic', max: 9872, open: 17, refused: 4, refusedRequests: new Map([['request_timeout', 2], ['bad_request', 5]]) },
    { listener: 'management', max: 9872, open: 1, refused: 0, refusedRequests: new Map() },
  ];
  const lines = new Set(renderMetrics(observer, { ...inputs, listeners }).split('\n'));
  for (const line of [
    '# TYPE golb_connections_open gauge',
    'golb_connections_open{listener="traffic"} 17',
    'golb_connections_open{listener="management"} 1',
    '# TYPE golb_connections_max gauge',
    'golb_connections_max{listener="traffic"} 9872',
    '# TYPE golb_connections_refused_total counter',
    'golb_connections_refused_total{listener="traffic",reason="limit"} 4',
    'golb_connections_refused_total{listener="management",reason="limit"} 0',
    '# TYPE golb_requests_refused_total counter',
    'golb_requests_refused_total{listener="traffic",error="request_timeout"} 2',
    'golb_requests_refused_total{listener="traffic",error="bad_request"} 5',
  ]) {
    assert.ok(lines.has(line), `missing: ${line}`);
  }
});

test('the document passes promtool check metrics', { skip: promtool ? false : 'promtool not installed (Debian package prometheus; npm test installs it)' }, () => {
  const { observer, inputs, table } = setup();
  table.set('weird', spec({ '[::1]:8080': 1 }));
  observer.response('f', '10.0.0.1:80', 200, 2);
  observer.response('weird', '[::1]:8080', 200, 2);
  observer.upstreamError('weird', 'odd"\\\naddress', 'reset');
  observer.rejected(undefined, 'bad_request');
  const text = renderMetrics(observer, {
    ...inputs,
    listeners: [{ listener: 'traffic', max: 20, open: 20, refused: 3, refusedRequests: new Map([['headers_too_large', 1]]) }],
    upstream: () => ({ busy: 1, idle: 2 }),
    build: { version: '0.2.0', runtime: 'node' },
  });
  assert.match(text, /^golb_responses_total\{function="f",code="200"\} 1$/m);
  assert.match(text, /^golb_responses_total\{code="400"\} 1$/m);
  assert.match(text, /^golb_upstream_connections\{state="idle"\} 2$/m);
  assert.match(text, /^golb_build_info\{version="0\.2\.0",runtime="node"\} 1$/m);
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${text}`);
});

test('a source without a connection flag reads as connected once ready; no revision', () => {
  assert.deepEqual(sourceFigures(source({ kind: 'embedded', ready: true })), { connected: true, revision: undefined });
  assert.deepEqual(sourceFigures(source({ ready: false, connected: false, revision: 0 })), { connected: false, revision: 0 });
});

test('process figures are read from the process', () => {
  const p = processFigures(() => Date.now())();
  assert.ok(p.residentBytes > 0 && p.heapBytes > 0 && p.cpuSeconds > 0);
  assert.ok(p.startTimeSeconds <= Date.now() / 1000 && p.startTimeSeconds > Date.now() / 1000 - 3600);
});
