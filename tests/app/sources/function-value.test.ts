import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFunctionValue, parseAddress } from '../../../app/sources/function-value.ts';

const known = new Set(['wrr', 'rr', 'random']);

test("the seed's value decodes", () => {
  const r = decodeFunctionValue('{"ips": ["10.0.0.1"], "weights":[3]}', known);
  assert.deepEqual(r, { ok: true, spec: { strategy: undefined, targets: [{ address: '10.0.0.1:80', host: '10.0.0.1', port: 80, weight: 3 }] } });
});

test('address forms: host, host:port, http URL, IPv6', () => {
  assert.deepEqual(parseAddress('pod-1.ns.svc'), { address: 'pod-1.ns.svc:80', host: 'pod-1.ns.svc', port: 80 });
  assert.deepEqual(parseAddress('10.0.0.2:8080'), { address: '10.0.0.2:8080', host: '10.0.0.2', port: 8080 });
  assert.deepEqual(parseAddress('http://10.0.0.3:9000/'), { address: '10.0.0.3:9000', host: '10.0.0.3', port: 9000 });
  assert.deepEqual(parseAddress('[::1]:8080'), { address: '[::1]:8080', host: '::1', port: 8080 });
  assert.deepEqual(parseAddress('[FE80::1]:8080'), { address: '[fe80::1]:8080', host: 'fe80::1', port: 8080 });
  assert.deepEqual(parseAddress('Node-A.Example:8080'), { address: 'node-a.example:8080', host: 'node-a.example', port: 8080 });
  assert.match(String(parseAddress('[.:]:80')), /malformed IPv6/);
  assert.match(String(parseAddress('[1:2:3]:80')), /malformed IPv6/);
});

test('decimal weights are accepted as written (optimisers write them); 0 still drains', () => {
  const r = decodeFunctionValue('{"ips": ["a", "b", "c"], "weights": [1.5, 2.25, 0.0]}', known);
  assert.deepEqual(r.ok && r.spec.targets.map((t) => t.weight), [1.5, 2.25, 0]);
});

test('a strategy field is accepted when known', () => {
  const r = decodeFunctionValue('{"ips": ["a"], "weights": [1], "strategy": "rr"}', known);
  assert.equal(r.ok && r.spec.strategy, 'rr');
});

const refused: [string, string, RegExp][] = [
  ['not JSON', '{"ips": [', /not valid JSON/],
  ['an array', '[1]', /JSON object/],
  ['null', 'null', /JSON object/],
  ['lengths differ', '{"ips": ["a", "b"], "weights": [1]}', /2 entries but "weights" has 1/],
  ['negative weight', '{"ips": ["a"], "weights": [-1]}', /weights\[0\]/],
  ['negative decimal weight', '{"ips": ["a"], "weights": [-0.5]}', /weights\[0\] must be a number from 0/],
  ['infinite weight', '{"ips": ["a"], "weights": [1e400]}', /weights\[0\]/],
  ['string weight', '{"ips": ["a"], "weights": ["3"]}', /weights\[0\]/],
  ['huge weight', '{"ips": ["a"], "weights": [1e12]}', /weights\[0\]/],
  ['empty address', '{"ips": [""], "weights": [1]}', /empty address/],
  ['address with a path', '{"ips": ["a/b"], "weights": [1]}', /malformed/],
  ['address with spaces', '{"ips": ["a b"], "weights": [1]}', /malformed/],
  ['port out of range', '{"ips": ["a:70000"], "weights": [1]}', /port out of range/],
  ['https upstream', '{"ips": ["https://a"], "weights": [1]}', /https/],
  ['non-string ip', '{"ips": [1], "weights": [1]}', /not a string/],
  ['duplicate address', '{"ips": ["a", "a:80"], "weights": [1, 1]}', /twice/],
  ['ips missing', '{"weights": [1]}', /"ips"/],
  ['unknown strategy', '{"ips": ["a"], "weights": [1], "strategy": "fastest"}', /"strategy"/],
];

for (const [name, text, reason] of refused) {
  test(`refused: ${name}`, () => {
    const r = decodeFunctionValue(text, known);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, reason);
  });
}

test('a refused value never echoes more than a clipped piece of its input', () => {
  const r = decodeFunctionValue(JSON.stringify({ ips: ['x'.repeat(10_000) + '/'], weights: [1] }), known);
  assert.equal(r.ok, false);
  if (!r.ok) assert.ok(r.reason.length < 200);
});
