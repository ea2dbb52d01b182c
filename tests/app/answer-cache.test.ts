/**
 * The management reads' cache: an answer built at most once per window and
 * key, on an injected clock; and its response shares the one body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerCache, MANAGEMENT_READ_INTERVAL_MS, answerResponse, jsonAnswer, textAnswer } from '../../app/answer-cache.ts';

function clocked() {
  let now = 5_000;
  let builds = 0;
  const cache = new AnswerCache<string, string>({ now: () => now });
  const get = (key: string) => cache.get(key, () => `${key}#${++builds}`);
  return { get, advance: (ms: number) => (now += ms), builds: () => builds };
}

test('within a window every read of a key shares one build; the next window builds again', () => {
  const { get, advance, builds } = clocked();
  for (let i = 0; i < 100; i++) assert.equal(get('a'), 'a#1');
  advance(MANAGEMENT_READ_INTERVAL_MS - 1);
  assert.equal(get('a'), 'a#1');
  assert.equal(builds(), 1);
  advance(1);
  assert.equal(get('a'), 'a#2');
  assert.equal(get('a'), 'a#2');
  assert.equal(builds(), 2);
});

test('keys are built apart, each once per window; a new window drops them all', () => {
  const { get, advance, builds } = clocked();
  assert.deepEqual([get('a'), get('b'), get('a'), get('b')], ['a#1', 'b#2', 'a#1', 'b#2']);
  advance(MANAGEMENT_READ_INTERVAL_MS);
  assert.equal(get('b'), 'b#3');
  assert.equal(get('a'), 'a#4');
  assert.equal(builds(), 4);
});

test('a build that throws leaves nothing behind', () => {
  const cache = new AnswerCache<string, string>({ now: () => 0, intervalMs: 10 });
  assert.throws(() => cache.get('k', () => { throw new Error('no'); }), /no/);
  assert.equal(cache.get('k', () => 'built'), 'built');
});

test('the response is the shared body, framed by content-length, not cached downstream', async () => {
  const answer = jsonAnswer({ a: [1, 'é'] });
  const responses = [answerResponse(answer), answerResponse(answer)];
  for (const res of responses) {
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength('{"a":[1,"é"]}')));
    assert.equal(res.headers.get('cache-control'), 'no-store');
  }
  // Each reader gets the very same bytes, not a copy: a slow reader holds no body of its own.
  const chunks = await Promise.all(responses.map(async (res) => (await res.body!.getReader().read()).value));
  assert.equal(chunks[0], answer.body);
  assert.equal(chunks[1], answer.body);
  const empty = answerResponse(textAnswer('', 'text/plain'));
  assert.equal(empty.headers.get('content-length'), '0');
  assert.equal(await empty.text(), '');
});
