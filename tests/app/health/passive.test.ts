/** Passive health marks: backoff growth and cap, one trial per mark, reset on an answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_BACKOFF_MS, MAX_BACKOFF_MS, backoffMs, isBackendFailure, markFailed, markSucceeded } from '../../../app/health/passive.ts';
import { BackendStates, isAvailable } from '../../../strategies/backend-state.ts';

test('backoff doubles from 1 s and stops at 30 s', () => {
  assert.equal(BASE_BACKOFF_MS, 1_000);
  assert.equal(MAX_BACKOFF_MS, 30_000);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 100, 5000].map(backoffMs), [0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
});

test('each failed trial after the backoff ended doubles the mark', () => {
  const s = new BackendStates().get('a:1');
  let now = 10_000;
  const downs: number[] = [];
  for (let i = 0; i < 8; i++) {
    assert.equal(markFailed(s, 'connect', now), true);
    assert.equal(s.failures, i + 1);
    downs.push(s.downUntil - now);
    assert.equal(isAvailable(s, now), false);
    now = s.downUntil; // the backoff has just ended
    assert.equal(isAvailable(s, now), true);
  }
  assert.deepEqual(downs, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
});

test('failures while marked (requests already in flight) keep the mark as it is', () => {
  const s = new BackendStates().get('a:1');
  assert.equal(markFailed(s, 'reset', 500), true);
  for (const f of ['reset', 'timeout', 'connect', 'protocol'] as const) assert.equal(markFailed(s, f, 600), false);
  assert.equal(s.failures, 1);
  assert.equal(s.downUntil, 1_500);
});

test('timeouts, resets and protocol failures mark; the client aborting or sending too much does not', () => {
  for (const f of ['connect', 'reset', 'timeout', 'protocol'] as const) {
    const s = new BackendStates().get('a:1');
    assert.equal(markFailed(s, f, 0), true, f);
    assert.equal(isBackendFailure(f), true);
  }
  for (const f of ['aborted', 'body_too_large'] as const) {
    const s = new BackendStates().get('a:1');
    assert.equal(markFailed(s, f, 0), false, f);
    assert.equal(s.failures, 0);
    assert.equal(s.downUntil, 0);
    assert.equal(isBackendFailure(f), false);
  }
});

test('one answer clears the mark and the count; the next failure starts over at 1 s', () => {
  const s = new BackendStates().get('a:1');
  markFailed(s, 'connect', 0);
  markFailed(s, 'connect', 1_000);
  markFailed(s, 'connect', 3_000);
  assert.equal(s.failures, 3);
  assert.equal(markSucceeded(s), true);
  assert.equal(s.failures, 0);
  assert.equal(s.downUntil, 0);
  assert.equal(isAvailable(s, 3_001), true);
  assert.equal(markSucceeded(s), false, 'nothing to clear');
  markFailed(s, 'connect', 5_000);
  assert.equal(s.downUntil, 6_000);
});

test('the active verdict is left alone', () => {
  const s = new BackendStates().get('a:1');
  s.healthy = false;
  markFailed(s, 'connect', 0);
  markSucceeded(s);
  assert.equal(s.healthy, false);
});
