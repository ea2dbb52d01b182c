import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiVersionCheck, parseVersion } from '../../../app/pool/api-version.ts';

test('versions parse as x.y.z, with an optional v, pre-release and build', () => {
  assert.deepEqual(parseVersion('0.3.45'), { parts: [0, 3, 45], preRelease: false });
  assert.deepEqual(parseVersion('v1.2.3-rc.1+abc'), { parts: [1, 2, 3], preRelease: true });
  for (const bad of ['1.2', '1.2.x', '', 'latest', '1.2.3.4']) assert.equal(parseVersion(bad), undefined, bad);
});

test('a node answering at least the minimum is accepted; lower or unreadable is refused, saying why', () => {
  const check = apiVersionCheck('0.3.0');
  for (const ok of ['0.3.0', '0.3.1', '0.10.0', '1.0.0', 'v2.0.0', '0.3.0+build']) assert.equal(check(JSON.stringify({ version: ok })), undefined, ok);
  assert.equal(check('{"version":"0.2.9"}'), 'its API version 0.2.9 is below --min-api-version 0.3.0');
  assert.equal(check('{"version":"0.3.0-rc1"}'), 'its API version 0.3.0-rc1 is below --min-api-version 0.3.0', 'a pre-release is below its release');
  assert.equal(check('{"version":"0.9.99"}'), undefined, 'numbers compare as numbers, not text');
  assert.match(check('ok') ?? '', /not JSON \{"version": "x.y.z"\}/);
  assert.match(check('{}') ?? '', /has no version x.y.z \(got null;/);
  assert.match(check('{"version":3}') ?? '', /has no version x.y.z \(got 3;/);
  assert.match(check('null') ?? '', /has no version/);
});
