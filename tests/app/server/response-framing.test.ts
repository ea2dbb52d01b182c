import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNKED_FRAMING, CLOSING_FRAMING, HEAD_END_BYTES, noResponseBody, responseFraming } from '../../../app/server/response-framing.ts';

const end = (i: number) => HEAD_END_BYTES[i]!.toString('latin1');

test('responseFraming: a known length adds nothing but the connection', () => {
  assert.equal(end(responseFraming('GET', false, true, 200, 5, true)), '\r\n');
  assert.equal(end(responseFraming('GET', false, false, 200, 5, true)), 'connection: close\r\n\r\n');
  assert.equal(end(responseFraming('GET', true, true, 200, 5, true)), 'connection: keep-alive\r\n\r\n');
});

test('responseFraming: an unknown length is chunked for HTTP/1.1, framed by the close for HTTP/1.0', () => {
  const chunked = responseFraming('GET', false, true, 200, -1, true);
  assert.ok(chunked >= CHUNKED_FRAMING);
  assert.equal(end(chunked), 'transfer-encoding: chunked\r\n\r\n');
  const http10 = responseFraming('GET', true, true, 200, -1, true);
  assert.equal(http10 % 3, CLOSING_FRAMING);
  assert.equal(end(http10), 'connection: close\r\n\r\n');
});

test('responseFraming: no body of unknown length is an empty one; HEAD, 1xx, 204 and 304 have none', () => {
  assert.equal(end(responseFraming('GET', false, true, 200, -1, false)), 'content-length: 0\r\n\r\n');
  for (const [method, status] of [['HEAD', 200], ['GET', 204], ['GET', 304], ['GET', 101]] as const) {
    assert.equal(noResponseBody(method, status), true);
    assert.equal(end(responseFraming(method, false, true, status, -1, true)), '\r\n', `${method} ${status}`);
  }
  assert.equal(noResponseBody('GET', 200), false);
});
