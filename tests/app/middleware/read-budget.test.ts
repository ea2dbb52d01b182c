/**
 * The management reads' budget of bytes per second: an idle budget lets any
 * answer go at once, a spent one holds answers in arrival order, one that
 * would wait too long is refused with 503; the clock and the wait are injected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { ReadBudget, readBudget } from '../../../app/middleware/read-budget.ts';

// 1,000 bytes a second (one byte a millisecond), no overhead: costs in ms are sizes in bytes.
const budget = (maxWaitMs = 5_000) => new ReadBudget({ bytesPerSecond: 1000, overheadBytes: 0, maxWaitMs });

test('an idle budget lets one read go at once, however large; the next ones wait until it is paid off but a second', () => {
  const b = budget();
  assert.equal(b.reserve(3_000, 0), 0, 'three seconds of budget, at once');
  // Paid off at 3,000 ms; a read may go while that is at most a second ahead.
  assert.equal(b.reserve(100, 0), 2_100);
  assert.equal(b.reserve(100, 2_500), 0, 'paid off at 3,200: within the second');
  assert.equal(b.reserve(1_000, 2_500), 700);
  assert.equal(b.reserve(0, 9_000), 0, 'idle again');
});

test('within a second of budget reads go at once; beyond it they wait in arrival order', () => {
  const b = budget();
  assert.equal(b.reserve(400, 0), 0);
  assert.equal(b.reserve(400, 0), 0, 'paid off at 800: within the second');
  assert.equal(b.reserve(400, 0), 200);
  assert.equal(b.reserve(400, 0), 600);
  assert.equal(b.reserve(400, 100), 900, 'what waits is counted from when it arrives');
});

test('a read that would wait over the longest wait is refused and charged nothing', () => {
  const b = budget(1_000);
  assert.equal(b.reserve(1_500, 0), 0);
  assert.equal(b.reserve(400, 0), 900);
  assert.equal(b.reserve(400, 0), undefined, 'would wait 1,300 ms');
  assert.equal(b.reserve(100, 0), 1_000, 'the refused one left nothing behind');
});

test('the middleware charges content-length, holds reads, refuses with 503 and Retry-After, leaves writes alone', async () => {
  let now = 0;
  const waits: number[] = [];
  const app = new Hono();
  app.use('*', readBudget({ budget: budget(2_000), now: () => now, wait: async (ms) => void waits.push(ms), origin: { zone: 'z', node: 'n' } }));
  app.get('/big', () => new Response('x'.repeat(1_500), { headers: { 'content-length': '1500' } }));
  app.get('/stream', () => new Response(new ReadableStream({ start: (c) => c.close() })));
  app.put('/big', () => new Response('x'.repeat(1_500), { headers: { 'content-length': '1500' } }));

  assert.equal((await app.request('/big')).status, 200);
  assert.equal((await app.request('/big')).status, 200);
  assert.deepEqual(waits, [2_000], 'the second waited for its share');
  for (let i = 0; i < 5; i++) assert.equal((await app.request('/big', { method: 'PUT' })).status, 200);
  assert.deepEqual(waits, [2_000], 'writes are not charged');
  const refused = await app.request('/big');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '2');
  assert.equal(((await refused.json()) as { error: string }).error, 'overloaded');
  assert.equal(refused.headers.get('content-length'), null, "the refused answer's length does not stick to the error");
  now = 10_000;
  assert.equal((await app.request('/stream')).status, 200, 'no length: charged the overhead only');
  assert.deepEqual(waits, [2_000]);
});
