import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ewma, currentLatency } from '../../strategies/ewma.ts';
import { EWMA_DECAY_MS, requestEnded, requestStarted } from '../../strategies/backend-state.ts';
import type { Backend } from '../../strategies/strategy.ts';
import { backends, ctxAt, scripted } from './helpers.ts';

const NOW = 1_000;

/** Two backends a, b with latencies (ms, or undefined: never sampled) and in-flight counts. */
function pair(latency: [number | undefined, number | undefined], inFlight: [number, number] = [0, 0], weights = [1, 1]): Backend[] {
  const bs = backends(weights);
  bs.forEach((b, i) => {
    const l = latency[i];
    if (l !== undefined) {
      b.state.latencyMs = l;
      b.state.lastSampleAt = NOW;
    }
    b.state.inFlight = inFlight[i]!;
  });
  return bs;
}

/** The pick with a drawn first, then b drawn first: the same answer means the cost decided. */
function both(bs: Backend[]): string {
  const first = ewma.build(bs, undefined, scripted([0.1, 0.5])).pick(ctxAt(NOW))?.address;
  const second = ewma.build(bs, undefined, scripted([0.9, 0.5])).pick(ctxAt(NOW))?.address;
  return first === second ? first! : `${first}|${second}`;
}

test('the faster backend wins whichever is drawn first', () => {
  assert.equal(both(pair([100, 10])), 'b');
  assert.equal(both(pair([10, 100])), 'a');
});

test('cost is latency × (in flight + 1) / weight', () => {
  assert.equal(both(pair([10, 50], [9, 0])), 'b'); // 100 against 50
  assert.equal(both(pair([10, 50], [3, 0])), 'a'); // 40 against 50
  assert.equal(both(pair([10, 50], [9, 0], [3, 1])), 'a'); // 100/3 against 50
});

test('a never-sampled backend competes on load alone: tried when less loaded, not flooded', () => {
  assert.equal(both(pair([undefined, 10], [0, 1])), 'a');
  assert.equal(both(pair([undefined, 10], [1, 0])), 'b');
  assert.equal(both(pair([undefined, 10], [0, 0])), 'a|b'); // a tie: the first drawn
  assert.equal(both(pair([undefined, undefined], [2, 1])), 'b');
});

test('an old average decays towards 0, so a backend once slow is tried again', () => {
  const bs = pair([1000, 10]);
  bs[0]!.state.lastSampleAt = NOW - 10 * EWMA_DECAY_MS;
  assert.ok(Math.abs(currentLatency(bs[0]!.state, NOW) - 1000 * Math.exp(-10)) < 1e-9);
  assert.equal(both(bs), 'a');
});

test('learns from requestEnded: a backend turning slow loses at once (peak)', () => {
  const bs = pair([10, 20]);
  assert.equal(both(bs), 'a');
  requestStarted(bs[0]!.state);
  requestEnded(bs[0]!.state, 500, NOW);
  assert.equal(both(bs), 'b');
});

test('latency and in flight survive a weights update (the shared state)', () => {
  const bs = pair([100, 10]);
  const p = ewma.build(bs, undefined, scripted([0.1, 0.5]));
  const next = ewma.build(bs.map((b) => ({ ...b, weight: 5 })), p, scripted([0.1, 0.5]));
  assert.equal(next.pick(ctxAt(NOW))?.address, 'b');
});
