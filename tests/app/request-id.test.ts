import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REQUEST_ID, RequestIds, isSaneRequestId } from '../../app/request-id.ts';

test("a sane client id is kept; anything else gets one of golb's: a per-process prefix and a counter", () => {
  const ids = new RequestIds(() => 0.5);
  assert.equal(ids.idOf('3f2a-b9c1'), '3f2a-b9c1');
  assert.equal(ids.idOf('x'.repeat(MAX_REQUEST_ID)), 'x'.repeat(MAX_REQUEST_ID));
  assert.equal(ids.idOf(null), 'iiiiiiii-1');
  assert.equal(ids.idOf(''), 'iiiiiiii-2');
  assert.equal(ids.idOf('x'.repeat(MAX_REQUEST_ID + 1)), 'iiiiiiii-3', 'too long');
  assert.equal(ids.idOf('a b'), 'iiiiiiii-4', 'a space (also two values joined)');
  assert.equal(ids.idOf('a\u0001b'), 'iiiiiiii-5');
  assert.equal(ids.idOf('caf\u00e9'), 'iiiiiiii-6', 'not ASCII');
  for (let i = 0; i < 30; i++) ids.next();
  assert.equal(ids.next(), 'iiiiiiii-11', 'base 36');
  assert.notEqual(new RequestIds(Math.random).next(), new RequestIds(Math.random).next(), 'processes draw their own prefix');
  assert.ok(isSaneRequestId('!~'));
});
