/** A request body kept for a retry: replayed in order, only within its limit, read once from the client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPLAY_LIMIT, ReplayableBody, type ReplayBudget } from '../../../app/forwarding/replayable-body.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A client body of the given chunks, counting how many the stream was asked for. */
function source(chunks: Uint8Array[]) {
  const counter = { pulls: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        const next = chunks[counter.pulls++];
        if (next === undefined) c.close();
        else c.enqueue(next);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<string> {
  let out = '';
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return out;
    out += dec.decode(value);
  }
}

test('an attempt that took two chunks is followed by one that gets the whole body, each chunk read once', async () => {
  const { stream, counter } = source(['ab', 'cd', 'ef', 'gh'].map((s) => enc.encode(s)));
  const body = new ReplayableBody(stream);
  const first = body.stream().getReader();
  assert.equal(dec.decode((await first.read()).value), 'ab');
  assert.equal(dec.decode((await first.read()).value), 'cd');
  assert.equal(body.replayable, true);
  body.rewind();
  const second = body.stream();
  assert.equal((await first.read()).done, true, 'the failed attempt gets nothing more');
  assert.equal(await readAll(second), 'abcdefgh');
  assert.equal(counter.pulls, 5, 'four chunks and the end, each asked for once');
});

test('after release the rest streams through and the kept chunks are dropped', async () => {
  const { stream } = source(['12', '34', '56'].map((s) => enc.encode(s)));
  const body = new ReplayableBody(stream);
  const s = body.stream().getReader();
  assert.equal(dec.decode((await s.read()).value), '12');
  body.release();
  assert.equal(dec.decode((await s.read()).value), '34');
  assert.equal(dec.decode((await s.read()).value), '56');
  assert.equal((await s.read()).done, true);
  assert.equal(body.replayable, false);
});

test('a body whose taken part passed the limit cannot be replayed', async () => {
  const big = new Uint8Array(REPLAY_LIMIT / 2 + 1);
  const { stream } = source([big, big, big]);
  const body = new ReplayableBody(stream);
  const r = body.stream().getReader();
  await r.read();
  assert.equal(body.replayable, true);
  await r.read();
  assert.equal(body.replayable, false);
  let rest = 0;
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    rest += value.length;
  }
  assert.equal(rest, big.length, 'the stream itself still carries everything');
});

test('the bytes kept across all bodies stay within the budget; released bodies give theirs back', async () => {
  const budget: ReplayBudget = { held: 0, limit: 10 };
  const a = new ReplayableBody(source(['abcd', 'efgh'].map((x) => enc.encode(x))).stream, budget);
  const b = new ReplayableBody(source(['ijkl', 'mnop'].map((x) => enc.encode(x))).stream, budget);
  const ra = a.stream().getReader();
  const rb = b.stream().getReader();
  await ra.read();
  await ra.read(); // a keeps 8 bytes
  assert.equal(budget.held, 8);
  await rb.read(); // 4 more would pass 10: b streams on without a copy
  assert.equal(budget.held, 8);
  assert.equal(a.replayable, true);
  assert.equal(b.replayable, false, 'a body the budget could not keep is not sent again');
  a.release();
  assert.equal(budget.held, 0);
  a.release();
  assert.equal(budget.held, 0, 'a second release gives back nothing more');
});

test('a client body that fails makes the attempt fail and the body not replayable', async () => {
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new Error('client went away'));
    },
  });
  const body = new ReplayableBody(stream);
  await assert.rejects(body.stream().getReader().read(), /client went away/);
  assert.equal(body.replayable, false);
});

test('an untouched body replays trivially', async () => {
  const { stream } = source([enc.encode('xyz')]);
  const body = new ReplayableBody(stream);
  body.stream(); // created for an attempt that failed before reading
  body.rewind();
  assert.equal(await readAll(body.stream()), 'xyz');
});
