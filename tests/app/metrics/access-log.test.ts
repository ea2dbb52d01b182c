import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionName, withAccessLog } from '../../../app/metrics/access-log.ts';
import { requestTarget } from '../../../app/request-target.ts';
import { createLogger } from '../../../app/logger.ts';
import { webHandler, type ClientRequest, type ReplyTarget } from '../../../app/client-request.ts';

const runtime = { clientAddress: () => '10.1.2.3' };

function logged(mode: 'prod' | 'dev') {
  const lines: string[] = [];
  const logger = createLogger({ mode, node: 'edge-1', write: (l) => lines.push(l), now: () => Date.UTC(2026, 0, 1) });
  let clock = 100;
  // A proxied answer names its backend; one golb made itself has none.
  const handler = (req: ClientRequest, to: ReplyTarget): void => {
    clock += 12.3456;
    to.reply(
      req.target.includes('/known/')
        ? { status: 201, reason: 'Created', headers: { byteLength: 0, writeTo: (_buf, at) => at, pairs: () => [['x-final-host', '10.0.0.1:80']] }, body: null, length: -1, backend: '10.0.0.1:80' }
        : new Response('{}', { status: 404 }),
    );
  };
  return { lines, handler: webHandler(withAccessLog(handler, { logger, monotonic: () => clock }), runtime) };
}

test('prod: one JSON line per request with client, method, path, function, backend, status and duration', async () => {
  const { lines, handler } = logged('prod');
  const res = await handler(new Request('http://gw:8080/function/known/a/b?x=1', { method: 'POST', body: 'x' }), undefined);
  assert.equal(res.status, 201);
  await handler(new Request('http://gw:8080/function/nope/'), undefined);
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: '2026-01-01T00:00:00.000Z', level: 'info', node: 'edge-1', msg: 'access',
    client: '10.1.2.3', method: 'POST', path: '/function/known/a/b?x=1', function: 'known', backend: '10.0.0.1:80', status: 201, durationMs: 12.346,
  });
  assert.equal(JSON.parse(lines[1]!).backend, '-', 'an answer golb gave itself has no backend');
  assert.equal(JSON.parse(lines[1]!).status, 404);
});

test('dev: one readable line; a hostile path cannot break the line', async () => {
  const { lines, handler } = logged('dev');
  await handler(new Request('http://gw/function/known/x'), undefined);
  assert.equal(lines[0], '2026-01-01T00:00:00.000Z INFO  access client=10.1.2.3 method=GET path=/function/known/x function=known backend=10.0.0.1:80 status=201 durationMs=12.346');
  await handler(new Request('http://gw/function/known/%0a"x y'), undefined);
  assert.equal(lines.length, 2);
  assert.ok(!lines[1]!.includes('\n'));
  assert.match(lines[1]!, / path="\/function\/known\/%0a%22x%20y" function=known /);
});

test('request target and function name from a URL', () => {
  assert.equal(requestTarget('http://h:1/function/f/x?y'), '/function/f/x?y');
  assert.equal(requestTarget('http://h'), '/');
  assert.equal(functionName('/function/f/x'), 'f');
  assert.equal(functionName('/function/f?x'), 'f');
  assert.equal(functionName('/function/'), '-');
  assert.equal(functionName('/other'), '-');
});
