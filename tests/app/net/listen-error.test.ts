import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeListenError } from '../../../app/net/listen-error.ts';

test("each runtime's listen error becomes the address, the code and the words", () => {
  const bun = Object.assign(new Error('Failed to listen at 127.0.0.1'), { code: 'EADDRINUSE', errno: 98, syscall: 'listen' });
  assert.deepEqual(describeListenError(bun, '127.0.0.1', 8080), {
    address: '127.0.0.1:8080', code: 'EADDRINUSE', reason: 'address already in use (another process listens on this port)',
  });
  const deno = Object.assign(new Error('Permission denied (os error 13)'), { name: 'PermissionDenied' });
  assert.equal(describeListenError(deno, '::', 80).address, '[::]:80');
  assert.equal(describeListenError(deno, '::', 80).code, 'EACCES');
  assert.deepEqual(describeListenError(new Error('odd'), 'h', 1), { address: 'h:1', code: 'unknown', reason: 'odd' });
  assert.equal(describeListenError(Object.assign(new Error('x'), { code: 'EWHATEVER' }), 'h', 1).reason, 'x');
});
