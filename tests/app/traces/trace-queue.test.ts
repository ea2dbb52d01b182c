import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceQueue, droppedLine } from '../../../app/traces/trace-queue.ts';

const line = (i: number) => `{"i":${i}}\n`;

test('lines come out in order, as one batch, and the queue is empty after', () => {
  const q = new TraceQueue({ lines: 10, chars: 1000 });
  assert.equal(q.take(), '');
  for (let i = 0; i < 3; i++) assert.equal(q.offer(line(i)), true);
  assert.equal(q.size, 3);
  assert.equal(q.take(), line(0) + line(1) + line(2));
  assert.equal(q.empty, true);
  assert.equal(q.take(), '');
});

test('past its line bound a line is dropped and counted; the notice comes before the next line that fits', () => {
  const q = new TraceQueue({ lines: 2, chars: 1000 });
  assert.equal(q.offer(line(0)), true);
  assert.equal(q.offer(line(1)), true);
  assert.equal(q.offer(line(2)), false);
  assert.equal(q.offer(line(3)), false);
  assert.equal(q.dropped, 2);
  assert.equal(q.take(), line(0) + line(1) + droppedLine(2), 'no line since the loss: the notice ends the batch');
  assert.equal(q.offer(line(4)), true);
  assert.equal(q.offer(line(5)), true);
  assert.equal(q.offer(line(6)), false);
  assert.equal(q.take(), line(4) + line(5) + droppedLine(1));
  assert.equal(q.dropped, 3);
});

test('lost lines are told where they were lost: between the older lines and the next that fits', () => {
  const q = new TraceQueue({ lines: 2, chars: 1000 });
  q.offer(line(0));
  q.offer(line(1));
  q.offer(line(2)); // lost
  const first = q.take();
  assert.equal(first, line(0) + line(1) + droppedLine(1));
  q.offer(line(3));
  q.offer(line(4));
  q.offer(line(5)); // lost
  q.offer(line(6)); // lost
  assert.equal(q.take(), line(3) + line(4) + droppedLine(2));
  // Lines lost, then room again before the reader took anything: the notice sits before the new line.
  const r = new TraceQueue({ lines: 3, chars: 1000 });
  r.offer(line(0));
  r.offer(line(1));
  r.offer(line(2));
  r.offer(line(3)); // lost
  assert.equal(r.take(), line(0) + line(1) + line(2) + droppedLine(1));
});

test('the byte bound counts too: a long line that does not fit is dropped while short ones still fit', () => {
  const q = new TraceQueue({ lines: 100, chars: 30 });
  assert.equal(q.offer('x'.repeat(20) + '\n'), true);
  assert.equal(q.offer('y'.repeat(20) + '\n'), false);
  assert.equal(q.offer('z\n'), true);
  assert.equal(q.take(), 'x'.repeat(20) + '\n' + droppedLine(1) + 'z\n');
});

test('memory stays bounded however many lines a reader that never reads is offered', () => {
  const q = new TraceQueue({ lines: 64, chars: 1 << 20 });
  for (let i = 0; i < 100_000; i++) q.offer(line(i));
  assert.equal(q.size, 64);
  assert.equal(q.dropped, 100_000 - 64);
  const batch = q.take().split('\n').filter(Boolean);
  assert.equal(batch.length, 65);
  assert.deepEqual(JSON.parse(batch.at(-1)!), { dropped: 100_000 - 64 });
});
