/** Which failed requests may go to another backend (docs/health-and-retries.md, "Retries"). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConnectTimeout, isIdempotent, maySendAgain } from '../../../app/forwarding/retry.ts';
import { UpstreamError, type UpstreamFailure } from '../../../app/proxy/engine.ts';

const err = (failure: UpstreamFailure, bodySent = false, responseStarted = false, message = 'x') => new UpstreamError(failure, message, bodySent, responseStarted);

test('idempotent methods are the spec list', () => {
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) assert.equal(isIdempotent(m), true, m);
  for (const m of ['POST', 'PATCH', 'CONNECT', 'get']) assert.equal(isIdempotent(m), false, m);
});

test('idempotent requests are retried after any backend failure before a response byte', () => {
  for (const f of ['connect', 'reset', 'timeout', 'protocol'] as const) {
    assert.equal(maySendAgain('GET', false, err(f)), true, f);
    assert.equal(maySendAgain('PUT', true, err(f, true)), true, f);
  }
});

test('nothing is retried once a response byte came back, or when the client failed', () => {
  assert.equal(maySendAgain('GET', false, err('reset', false, true)), false);
  assert.equal(maySendAgain('GET', false, err('protocol', false, true)), false);
  assert.equal(maySendAgain('GET', false, err('aborted')), false);
  assert.equal(maySendAgain('PUT', true, err('body_too_large', true)), false);
});

test('a POST is retried only when the backend cannot have acted on it', () => {
  assert.equal(maySendAgain('POST', true, err('connect', true)), true, 'refused: bytes handed to a socket that never connected');
  assert.equal(maySendAgain('POST', false, err('connect')), true);
  assert.equal(maySendAgain('POST', true, err('reset', false)), true, 'the head only: no body byte left golb');
  assert.equal(maySendAgain('POST', true, err('reset', true)), false, 'the body reached a backend');
  assert.equal(maySendAgain('POST', true, err('timeout', true)), false);
  assert.equal(maySendAgain('POST', false, err('reset')), false, 'a body-less POST is complete once its head is sent');
  assert.equal(maySendAgain('PATCH', true, err('reset', true)), false);
});

test('a connect timeout is told apart from a refusal', () => {
  assert.equal(isConnectTimeout(err('connect', false, false, 'connect timed out')), true);
  assert.equal(isConnectTimeout(err('connect', false, false, 'connect ECONNREFUSED 127.0.0.1:1')), false);
  assert.equal(isConnectTimeout(err('timeout', false, false, 'upstream timed out')), false);
});
