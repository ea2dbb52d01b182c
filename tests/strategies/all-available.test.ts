/**
 * The strategies' fast path: while every backend is up (`allAvailable`, O(1)
 * over a registry's states) a first attempt is picked without reading any
 * state. The summary is the registry's: the strategy tests share one
 * (`helpers.ts`), so each test leaves every state it touched up again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendStates } from '../../strategies/backend-state.ts';
import { STRATEGIES } from '../../strategies/registry.ts';
import { backends, ctxAt, seeded } from './helpers.ts';

test('allAvailable follows probe verdicts and passive marks', () => {
  const states = new BackendStates();
  const a = states.get('a:1');
  const b = states.get('b:1');
  const allAvailable = (now: number) => states.allAvailable(now);
  assert.equal(allAvailable(0), true);
  a.healthy = false;
  a.healthy = false; // a verdict repeated counts once
  assert.equal(allAvailable(0), false);
  b.healthy = false;
  a.healthy = true;
  assert.equal(allAvailable(0), false, 'b still fails');
  b.healthy = true;
  b.healthy = true;
  assert.equal(allAvailable(0), true);
  b.downUntil = 100;
  assert.equal(allAvailable(99), false, 'a passive mark is running');
  assert.equal(allAvailable(100), true, 'it has run out');
  b.downUntil = 0; // a success clears the mark; an earlier, longer one still holds the summary
  assert.equal(allAvailable(100), true);
});

test('a registry that forgets an unhealthy state stops counting it, once', () => {
  const states = new BackendStates();
  const gone = states.get('gone:1');
  const allAvailable = (now: number) => states.allAvailable(now);
  gone.healthy = false;
  assert.equal(allAvailable(1_000), false);
  states.prune(new Set());
  assert.equal(allAvailable(1_000), true, 'a forgotten state no longer holds every pick on the slow path');
  gone.healthy = true; // a late probe result for the forgotten state
  const other = states.get('other:1');
  other.healthy = false;
  assert.equal(allAvailable(1_000), false, 'the count did not go below zero');
  other.healthy = true;
  assert.equal(allAvailable(1_000), true);
});

[...STRATEGIES.values()].forEach((strategy, i) => {
  test(`${strategy.name}: on a first attempt a passive mark alone, or a failed probe alone, keeps the backend out`, () => {
    // A time of its own per strategy, after every mark the ones before set has run out.
    const t0 = 100_000 * (i + 1);
    const bs = backends([1, 1, 1]);
    const p = strategy.build(bs, undefined, seeded(3));
    const pickAt = (now: number) => new Set(Array.from({ length: 300 }, (_, k) => p.pick(ctxAt(now, undefined, `k${k}`))?.address));
    assert.equal(bs[0]!.state.registry.allAvailable(t0), true);
    assert.ok(pickAt(t0).has('a'), 'everything up: a is picked');
    bs[0]!.state.downUntil = t0 + 10_000;
    assert.equal(pickAt(t0 + 5_000).has('a'), false, 'a is marked down');
    assert.ok(pickAt(t0 + 10_000).has('a'), 'the mark has run out');
    bs[1]!.state.healthy = false;
    assert.equal(pickAt(t0 + 20_000).has('b'), false, 'the probe fails b');
    bs[1]!.state.healthy = true;
    assert.ok(pickAt(t0 + 20_000).has('b'));
  });
});

test("one registry's summary is its own: a failing state of another registry keeps no pick on the slow path", () => {
  const functions = new BackendStates();
  const pool = new BackendStates();
  functions.get('a:1');
  const node = pool.get('n:1');
  node.healthy = false;
  node.downUntil = 5_000;
  assert.equal(pool.allAvailable(1_000), false);
  assert.equal(functions.allAvailable(1_000), true);
  node.healthy = true;
});
