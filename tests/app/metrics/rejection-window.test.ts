import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionWindow } from '../../../app/metrics/rejection-window.ts';

test("the last minute of golb's own answers by reason, the largest first; older seconds drop out", () => {
  const w = new RejectionWindow();
  const t = 1_700_000_000;
  w.record('unknown_function', t);
  w.record('unknown_function', t + 1);
  w.record('unknown_function', t + 1);
  w.record('bad_request', t + 2);
  w.record('loop_detected', t + 30);
  assert.deepEqual(w.byReason(t + 30), { unknown_function: 3, bad_request: 1, loop_detected: 1 });
  assert.deepEqual(Object.keys(w.byReason(t + 30)), ['unknown_function', 'bad_request', 'loop_detected']);
  assert.deepEqual(w.byReason(t + 60), { unknown_function: 2, bad_request: 1, loop_detected: 1 }, 'second t is out of the minute');
  // The slot of t comes round again at t + 60: it starts from zero.
  w.record('no_backend', t + 60);
  assert.deepEqual(w.byReason(t + 62), { loop_detected: 1, no_backend: 1 });
  assert.deepEqual(w.byReason(t + 200), {});
});
