import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHops } from '../../../app/middleware/gateway-awareness.ts';

test('a plain client request, even with X-Forwarded-For-style history in Via, is a client request', () => {
  assert.equal(checkHops(null, null, 'gw-a', 8), 'client');
  assert.equal(checkHops('1.1 ingress', null, 'gw-a', 8), 'client');
});

test('only the golb mark makes a request forwarded', () => {
  assert.equal(checkHops('1.1 gw-b', 'gw-b', 'gw-a', 8), 'forwarded');
});

test('Via naming this node is a loop, whatever the case or position; similar names are not', () => {
  assert.equal(checkHops('1.1 gw-b, 1.1 GW-A', 'gw-b', 'gw-a', 8), 'loop');
  assert.equal(checkHops('1.1 gw-a (golb)', null, 'gw-a', 8), 'loop');
  assert.equal(checkHops('1.1 gw-ab, 1.1 xgw-a', null, 'gw-a', 8), 'client');
});

test('maxHops Via entries or more are too many', () => {
  assert.equal(checkHops('1.1 a, 1.1 b, 1.1 c', null, 'gw-a', 3), 'too_many_hops');
  assert.equal(checkHops('1.1 a, 1.1 b', null, 'gw-a', 3), 'client');
});
