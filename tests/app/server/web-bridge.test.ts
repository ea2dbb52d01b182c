import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlainHost } from '../../../app/server/web-bridge.ts';
import { probeAnswers } from '../../../routes/probes.ts';

test('isPlainHost: host names and IPv4 addresses with an optional port are plain; anything a URL parser must judge is not', () => {
  for (const host of [null, 'localhost', 'gw.example', 'gw.example:8080', '127.0.0.1', '127.0.0.1:65535', 'a-b.c-d.example']) assert.equal(isPlainHost(host), true, String(host));
  for (const host of ['', 'gw.example:65536', 'gw.example:', 'gw example', '[::1]:80', 'xn--bcher-kva.example', 'a..b', '1.2.3.4.5', 'gw.123', 'gw_x.example', 'ex%61mple.com']) {
    assert.equal(isPlainHost(host), false, host);
  }
});

test('probes: GET and HEAD of /healthz and /readyz (any query) are answered, readiness by the source', () => {
  const deps = { source: { ready: false, kind: 'embedded' }, table: { size: 3 } } as unknown as Parameters<typeof probeAnswers>[0];
  const answer = probeAnswers(deps);
  assert.deepEqual(answer('GET', '/healthz'), { status: 200, body: '{"status":"ok"}' });
  assert.equal(answer('HEAD', '/readyz?verbose=1')?.status, 503);
  assert.deepEqual(JSON.parse(answer('GET', '/readyz')!.body), { status: 'loading', source: 'embedded', functions: 3 });
  (deps.source as { ready: boolean }).ready = true;
  assert.equal(answer('GET', '/readyz')?.status, 200);
  assert.equal(answer('POST', '/healthz'), undefined);
  assert.equal(answer('GET', '/healthz/x'), undefined);
});
