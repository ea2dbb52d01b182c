import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRACE_FLUSH_MS, TraceHub, type TraceReader } from '../../../app/traces/trace-hub.ts';
import type { Timers } from '../../../app/timers.ts';

/** Timers the test runs by hand: `fire()` runs every one-shot due, `tick()` every repeating one. */
function handTimers() {
  const once = new Map<number, { run: () => void; ms: number }>();
  const every = new Map<number, () => void>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (run, ms) => (once.set(++next, { run, ms }), next),
    clearTimeout: (h) => void once.delete(h as number),
    every: (_ms, run) => (every.set(++next, run), next),
    cancel: (h) => void every.delete(h as number),
  };
  const fire = () => {
    const due = [...once.entries()];
    once.clear();
    for (const [, t] of due) t.run();
    return due.map(([, t]) => t.ms);
  };
  return { timers, fire, tick: () => [...every.values()].forEach((r) => r()), pending: () => once.size, repeating: () => every.size };
}

const settle = () => new Promise((r) => setImmediate(r));

test('with no reader the hub is inactive; it is active while someone reads', () => {
  const t = handTimers();
  const hub = new TraceHub({ timers: t.timers, random: () => 0.5 });
  assert.equal(hub.active, false);
  const reader = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  assert.equal(hub.active, true);
  assert.equal(t.repeating(), 1, 'the probe runs while someone reads');
  reader.close();
  assert.equal(hub.active, false);
  assert.equal(t.repeating(), 0);
});

test('each reader gets what it asked for: its sample and its function', () => {
  const hub = new TraceHub({ timers: handTimers().timers, random: () => 0 });
  const all = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  const half = hub.open({ sample: 0.5, fn: undefined }) as TraceReader;
  const onlyF = hub.open({ sample: 1, fn: 'f' }) as TraceReader;
  for (const [target, draw] of [['/function/f/x', 0.2], ['/function/f?q', 0.7], ['/function/fx/', 0.1], ['/function/g', 0.9], ['/function/f', 0.4]] as const) {
    if (hub.wants(target, draw)) hub.publish(`${target} ${draw}\n`, target, draw);
  }
  assert.deepEqual(all.queue.take().split('\n').filter(Boolean), ['/function/f/x 0.2', '/function/f?q 0.7', '/function/fx/ 0.1', '/function/g 0.9', '/function/f 0.4']);
  assert.deepEqual(half.queue.take().split('\n').filter(Boolean), ['/function/f/x 0.2', '/function/fx/ 0.1', '/function/f 0.4']);
  assert.deepEqual(onlyF.queue.take().split('\n').filter(Boolean), ['/function/f/x 0.2', '/function/f?q 0.7', '/function/f 0.4']);
  all.close();
  half.close();
  assert.equal(hub.wants('/function/g', 0), false, 'only the reader of f is left');
});

test('a waiting reader is written in a batch a moment after the first new line', async () => {
  const t = handTimers();
  const hub = new TraceHub({ timers: t.timers, random: () => 0 });
  const reader = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  let got: string | undefined = 'nothing yet';
  void reader.next().then((b) => (got = b));
  hub.publish('a\n', '/function/f', 0);
  hub.publish('b\n', '/function/f', 0);
  assert.equal(t.pending(), 1, 'one flush for both lines');
  await settle();
  assert.equal(got, 'nothing yet');
  assert.deepEqual(t.fire(), [TRACE_FLUSH_MS]);
  await settle();
  assert.equal(got, 'a\nb\n');
  // Lines that came while nobody waited are taken at once.
  hub.publish('c\n', '/function/f', 0);
  assert.equal(await reader.next(), 'c\n');
});

test("a slow reader loses its own lines, counted in the hub's total; the others lose none", () => {
  const hub = new TraceHub({ timers: handTimers().timers, random: () => 0, limits: { lines: 2, chars: 1000 } });
  const slow = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  const fast = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  let fastLines = 0;
  for (let i = 0; i < 10; i++) {
    hub.publish(`${i}\n`, '/function/f', 0);
    fastLines += fast.queue.take().split('\n').filter(Boolean).length;
  }
  assert.equal(fastLines, 10);
  assert.equal(hub.dropped, 8);
  assert.equal(slow.queue.take(), '0\n1\n{"dropped":8}\n');
});

test('while every reader that takes a request is full, the request is not admitted (no line is made) and each counts the loss', () => {
  const hub = new TraceHub({ timers: handTimers().timers, random: () => 0, limits: { lines: 2, chars: 1000 } });
  const slow = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  const other = hub.open({ sample: 1, fn: 'g' }) as TraceReader;
  assert.equal(hub.admits('/function/f/x', 0), true);
  hub.publish('0\n', '/function/f/x', 0);
  hub.publish('1\n', '/function/f/x', 0);
  // Full: three requests for f are refused at once, and told as lost.
  for (let i = 0; i < 3; i++) assert.equal(hub.admits('/function/f/x', 0), false);
  assert.equal(hub.dropped, 3);
  // A request g's reader takes is admitted (that reader has room); the full one loses it when the line is offered.
  assert.equal(hub.admits('/function/g/x', 0), true);
  hub.publish('g\n', '/function/g/x', 0);
  assert.equal(hub.dropped, 4);
  assert.equal(other.queue.take(), 'g\n');
  assert.equal(slow.queue.take(), '0\n1\n{"dropped":4}\n');
  // Read, it has room again: admitted.
  assert.equal(hub.admits('/function/f/x', 0), true);
});

test('the probe wakes a waiting reader with nothing (so a reader gone away is noticed)', async () => {
  const t = handTimers();
  const hub = new TraceHub({ timers: t.timers, random: () => 0 });
  const reader = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  const batch = reader.next();
  t.tick();
  assert.equal(await batch, '');
});

test('readers are capped; closing ends every stream after what waits, and refuses new readers', async () => {
  const t = handTimers();
  const hub = new TraceHub({ timers: t.timers, random: () => 0, maxReaders: 2 });
  const a = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  const b = hub.open({ sample: 1, fn: undefined }) as TraceReader;
  assert.equal(hub.open({ sample: 1, fn: undefined }), 'full');
  hub.publish('last\n', '/function/f', 0);
  const waiting = b.next();
  const closed = hub.close();
  assert.equal(await waiting, 'last\n', 'a waiting stream gets what waits');
  assert.equal(await a.next(), 'last\n');
  assert.equal(await a.next(), undefined, 'then the end');
  assert.equal(await b.next(), undefined);
  assert.equal(hub.open({ sample: 1, fn: undefined }), 'stopping');
  assert.equal(hub.active, false);
  t.fire();
  await closed;
});
