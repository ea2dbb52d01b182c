import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthcheck, readyzUrl } from '../../app/healthcheck.ts';

test('/readyz is asked where golb listens; a wildcard host on loopback', () => {
  const url = (listenHost: string) => readyzUrl({ listenHost, listenPort: 8080 });
  assert.equal(url('0.0.0.0'), 'http://127.0.0.1:8080/readyz');
  assert.equal(url('::'), 'http://[::1]:8080/readyz');
  assert.equal(url('10.0.0.5'), 'http://10.0.0.5:8080/readyz');
  assert.equal(url('::1'), 'http://[::1]:8080/readyz');
  assert.equal(url('edge-1.local'), 'http://edge-1.local:8080/readyz');
});

test('no answer within the timeout is not ready, saying so', async () => {
  const never = (_url: string, init: { signal: AbortSignal }) =>
    new Promise<never>((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
  const result = await healthcheck({ listenHost: '0.0.0.0', listenPort: 9 }, never, 50);
  assert.deepEqual(result, { exitCode: 1, line: 'golb healthcheck: not ready: http://127.0.0.1:9/readyz: no answer within 0.05 s' });
});
