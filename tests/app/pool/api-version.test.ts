import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiVersionCheck, parseVersion } from '../../../app/pool/api-version.ts';

test('versions parse as x.y.z, with an optional v, pre-release and build', () => {
  assert.deepEqual(parseVersion('0.3.45'), { parts: [0, 3, 45], preRelease: false });
  assert.deepEqual(parseVersion('v1.2.3-rc.1+abc'), { parts: [1, 2, 3], preRelease: true });
  assert.deepEqual(parseVersion('v0.1.0'), { parts: [0, 1, 0], preRelease: false }, 'a leading v is accepted');
  for (const bad of ['1.2', '1.2.x', '', 'latest', '1.2.3.4', '01.2.3', '1.02.3', '1.2.03', 'V1.2.3']) assert.equal(parseVersion(bad), undefined, bad);
});

test('a node answering at least the minimum is accepted; lower or unreadable is refused, saying why', () => {
  const check = apiVersionCheck('0.3.0', '/version');
  for (const ok of ['0.3.0', '0.3.1', '0.10.0', '1.0.0', 'v2.0.0', '0.3.0+build']) assert.equal(check(JSON.stringify({ version: ok })), undefined, ok);
  assert.equal(check('{"version":"0.2.9"}'), 'its API version 0.2.9 is below --min-api-version 0.3.0');
  assert.equal(check('{"version":"0.3.0-rc1"}'), 'its API version 0.3.0-rc1 is below --min-api-version 0.3.0', 'a pre-release is below its release');
  assert.equal(check('{"version":"0.9.99"}'), undefined, 'numbers compare as numbers, not text');
  assert.equal(check('ok'), 'its answer to GET /version is not JSON {"version": "x.y.z"} (--min-api-version 0.3.0 reads the answer of --hc-path /version)');
  assert.match(check('{}') ?? '', /has no version x.y.z \(got null;/);
  assert.match(check('{"version":3}') ?? '', /has no version x.y.z \(got 3;/);
  assert.match(check('null') ?? '', /has no version/);
});

test('the refusal names the probed path: --hc-path /healthz answers no version', () => {
  const check = apiVersionCheck('0.1.0', '/healthz');
  assert.equal(check('ok'), 'its answer to GET /healthz is not JSON {"version": "x.y.z"} (--min-api-version 0.1.0 reads the answer of --hc-path /healthz)');
  assert.equal(check('{"status":"ok"}'), 'its answer to GET /healthz has no version x.y.z (got null; --min-api-version 0.1.0 reads the answer of --hc-path /healthz)');
  assert.equal(check('{"version":"01.2.3"}'), 'its answer to GET /healthz has no version x.y.z (got "01.2.3"; --min-api-version 0.1.0 reads the answer of --hc-path /healthz)');
});
