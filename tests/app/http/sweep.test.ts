import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SWEEP_MAX_MS, SWEEP_MIN_MS, sweepPeriod, ticksFor, type Timer } from '../../../app/http/sweep.ts';
import { Http1Server } from '../../../app/server/http1-server.ts';

/** A timer the test fires by hand. */
function manualTimer() {
  const runs = new Map<number, () => void>();
  let next = 0;
  const timer: Timer = {
    every(_ms, run) {
      runs.set(++next, run);
      return next;
    },
    cancel(handle) {
      runs.delete(handle as number);
    },
  };
  return { timer, runs, fire: () => [...runs.values()].forEach((run) => run()) };
}

test('sweepPeriod is an eighth of the shortest timeout, within bounds; ticksFor never fires early', () => {
  assert.equal(sweepPeriod(4000), 500);
  assert.equal(sweepPeriod(60_000), SWEEP_MAX_MS);
  assert.equal(sweepPeriod(20), SWEEP_MIN_MS);
  assert.equal(ticksFor(4000, 500), 9);
  assert.equal(ticksFor(4001, 500), 10);
});

test('the server sweeps on the timer it is given and dates its answers by the clock it is given', () => {
  const { timer, runs, fire } = manualTimer();
  let now = 0;
  const server = new Http1Server({
    proxy: undefined,
    fetch: () => new Response('x'),
    idleTimeoutMs: 8000,
    bodyTimeoutMs: 8000,
    requestBufferBytes: 0,
    onError: () => undefined,
    origin: { zone: 'z', node: 'n' },
    admission: { admit: () => true, release: () => undefined } as never,
    timer,
    now: () => now,
  });
  assert.equal(server.date, 'Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(runs.size, 1);
  now = 86_400_000;
  fire(); // a 1 s period: the date is refreshed every sweep
  assert.equal(server.tick, 1);
  assert.equal(server.date, 'Fri, 02 Jan 1970 00:00:00 GMT');
  server.destroy();
  assert.equal(runs.size, 0, 'destroy cancels the sweep');
});
