/**
 * The admin-token check of the management API: writes need the bearer token
 * (403 when none is configured, 401 with WWW-Authenticate when missing or
 * wrong), reads are open unless protected, and the comparison accepts only
 * the exact token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorise, bearerChecker, isReadMethod, type AdminAuthOptions } from '../../../app/middleware/admin-auth.ts';

const origin = { zone: 'z', node: 'n' };
const opts = (token: string | undefined, readsNeedToken = false): AdminAuthOptions => ({ token, readsNeedToken, origin });
const run = (method: string, auth: string | null, o: AdminAuthOptions) =>
  authorise(method, auth, o, o.token === undefined ? undefined : bearerChecker(o.token));

test('reads are open by default; writes need the exact token', async () => {
  const o = opts('s3cret');
  assert.equal(run('GET', null, o), undefined);
  assert.equal(run('HEAD', null, o), undefined);
  assert.equal(run('PUT', 'Bearer s3cret', o), undefined);
  assert.equal(run('DELETE', 'bearer   s3cret', o), undefined, 'the scheme is case-insensitive');
  for (const auth of [null, 'Bearer wrong', 'Bearer s3cret2', 'Bearer s3cre', 'Basic s3cret', 's3cret', 'Bearer ', 'Bearer s3cret x']) {
    const res = run('PUT', auth, o);
    assert.ok(res !== undefined, `refused: ${auth}`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="golb"');
    const body = (await res.json()) as { error: string };
    assert.equal(body.error, 'unauthorized');
  }
});

test('no token configured: every write is 403, whatever it carries', async () => {
  for (const auth of [null, 'Bearer anything']) {
    const res = run('POST', auth, opts(undefined));
    assert.equal(res?.status, 403);
    assert.equal(((await res!.json()) as { error: string }).error, 'forbidden');
  }
  assert.equal(run('GET', null, opts(undefined)), undefined, 'reads stay open');
});

test('protected reads need the token too', () => {
  const o = opts('s3cret', true);
  assert.equal(run('GET', null, o)?.status, 401);
  assert.equal(run('GET', 'Bearer s3cret', o), undefined);
  assert.equal(run('GET', null, opts(undefined, true))?.status, 403);
});

test('read methods', () => {
  assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST', 'PATCH'].map(isReadMethod), [true, true, true, false, false, false, false]);
});
