/** Per-address state: what a finished or failed request teaches (docs/strategies.md, ewma). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendStates, requestEnded, requestFailed, requestStarted } from '../../strategies/backend-state.ts';
import { ewma } from '../../strategies/ewma.ts';
import { backends, ctxAt, scripted } from './helpers.ts';
import { WeightTable } from '../../app/weight-table.ts';
import { decodeFunctionValue, type FunctionSpec } from '../../app/sources/function-value.ts';

/** The spec of `{"ips": [...], "weights": [1, ...]}`. */
function spec(ips: string[]): FunctionSpec {
  const r = decodeFunctionValue(JSON.stringify({ ips, weights: ips.map(() => 1) }), new Set(['wrr']));
  if (!r.ok) throw new Error(r.reason);
  return r.spec;
}

test('a failure lowers in flight but is no latency sample', () => {
  const s = new BackendStates().get('a:1');
  requestStarted(s);
  requestEnded(s, 200, 1_000);
  requestStarted(s);
  requestStarted(s);
  requestFailed(s); // a refused connection, 1 ms after it started
  assert.equal(s.inFlight, 1);
  assert.equal(s.latencyMs, 200);
  assert.equal(s.lastSampleAt, 1_000);
  requestFailed(s);
  assert.equal(s.inFlight, 0);
  assert.equal(s.latencyMs, 200);
});

test('ewma: a backend that fails fast does not become the favourite', () => {
  const bs = backends([1, 1]);
  for (const [i, ms] of [[0, 100], [1, 50]] as const) {
    requestStarted(bs[i]!.state);
    requestEnded(bs[i]!.state, ms, 1_000);
  }
  requestStarted(bs[0]!.state);
  requestFailed(bs[0]!.state);
  const pick = (r: number) => ewma.build(bs, undefined, scripted([r, 0.5])).pick(ctxAt(1_001))?.address;
  assert.equal(pick(0.1), 'b');
  assert.equal(pick(0.9), 'b');
});

test('prune drops an address no longer listed and keeps listed ones and ones with requests in flight', () => {
  const states = new BackendStates();
  const kept = states.get('a:1');
  states.get('gone:1');
  const busy = states.get('busy:1');
  requestStarted(busy);
  states.prune(new Set(['a:1']));
  assert.equal(states.peek('a:1'), kept);
  assert.equal(states.peek('gone:1'), undefined);
  assert.equal(states.peek('busy:1'), busy);
  requestFailed(busy);
  states.prune(new Set(['a:1']));
  assert.equal(states.peek('busy:1'), undefined);
});

test('pruning to the weights table: an address no function lists loses its state, listed ones keep theirs', () => {
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'wrr', gateways: ['10.9.9.9:80'], deps: { random: () => 0.5, now: () => 0 }, states });
  table.set('f1', spec(['10.0.0.1:80', '10.0.0.2:80']));
  table.set('f2', spec(['10.0.0.2:80', '10.9.9.9:80']));
  const one = states.peek('10.0.0.1:80')!;
  one.latencyMs = 42;
  assert.deepEqual([...table.addresses()].sort(), ['10.0.0.1:80', '10.0.0.2:80', '10.9.9.9:80']);
  table.set('f1', spec(['10.0.0.1:80']));
  table.delete('f2');
  states.prune(table.addresses());
  assert.equal(states.peek('10.0.0.1:80'), one); // still listed: same state, same average
  assert.equal(states.peek('10.0.0.2:80'), undefined);
  assert.equal(states.peek('10.9.9.9:80'), undefined);
  assert.deepEqual([...states.all()].map((st) => st.address), ['10.0.0.1:80']);
});

test('in-flight counts live side by side by slot; a forgotten state gives its slot back and counts on itself', () => {
  const states = new BackendStates();
  const x = states.get('x:1');
  requestStarted(x);
  requestStarted(x);
  assert.equal(x.registry.inFlightAt(x.slot), 2, 'the slot holds the count p2c reads');
  requestEnded(x, 10, 1_000);
  requestEnded(x, 10, 1_000);
  const freed = x.slot;
  states.prune(new Set());
  assert.equal(x.slot, -1);
  const y = states.get('y:1');
  assert.equal(y.slot, freed, 'the next state takes the freed slot');
  assert.equal(y.inFlight, 0);
  requestStarted(x); // a retry through a picker from before the update
  assert.equal(x.inFlight, 1, 'the forgotten state counts on the object');
  assert.equal(y.inFlight, 0, 'and never in the slot it gave back');
  requestEnded(x, 10, 1_000);
  assert.equal(x.inFlight, 0);
});
