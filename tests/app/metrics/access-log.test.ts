import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withAccessLog } from '../../../app/metrics/access-log.ts';
import { functionName } from '../../../app/function-name.ts';
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
    client: '10.1.2.3', method: 'POST', path: '/function/known/a/b?x=1', function: 'known', backend: '10.0.0.1:80', status: 201,
    bytes: '-', requestId: '-', headMs: 12.346, durationMs: 12.346,
  });
  assert.equal(JSON.parse(lines[1]!).backend, '-', 'an answer golb gave itself has no backend');
  assert.equal(JSON.parse(lines[1]!).status, 404);
});

test('dev: one readable line; a hostile path cannot break the line', async () => {
  const { lines, handler } = logged('dev');
  await handler(new Request('http://gw/function/known/x'), undefined);
  assert.equal(lines[0], '2026-01-01T00:00:00.000Z INFO  access client=10.1.2.3 method=GET path=/function/known/x function=known backend=10.0.0.1:80 status=201 bytes=- requestId=- headMs=12.346 durationMs=12.346');
  await handler(new Request('http://gw/function/known/%0a"x y'), undefined);
  assert.equal(lines.length, 2);
  assert.ok(!lines[1]!.includes('\n'));
  assert.match(lines[1]!, / path="\/function\/known\/%0a%22x%20y" function=known /);
});

test("golb's server reports the end: the line is written then, with the bytes, the request id, the head's time and the whole time", () => {
  const lines: string[] = [];
  const logger = createLogger({ mode: 'prod', node: 'edge-1', write: (l) => lines.push(l), now: () => Date.UTC(2026, 0, 1) });
  let clock = 100;
  const request = (target: string): ClientRequest => ({
    method: 'GET', target, headers: new Headers(), body: null, signal: undefined, clientAddress: '10.1.2.3',
    forwardedBy: null, requestId: 'req-7', onResponseEnd: undefined, reportsEnd: true, trace: undefined,
  });
  const handler = withAccessLog((_req, to) => {
    clock += 2;
    to.reply({ status: 200, reason: 'OK', headers: { byteLength: 0, writeTo: (_buf, at) => at, pairs: () => [] }, body: null, length: 5, backend: '10.0.0.1:80' });
  }, { logger, monotonic: () => clock });

  const done = request('/function/known/');
  handler(done, { reply: () => undefined });
  assert.equal(lines.length, 0, 'nothing until the response is over');
  clock += 300; // the body takes its time
  done.onResponseEnd!.responseEnded(200, 5, true);
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual([line.status, line.bytes, line.requestId, line.headMs, line.durationMs, line.aborted], [200, 5, 'req-7', 2, 302, undefined]);

  const left = request('/function/known/');
  handler(left, { reply: () => undefined });
  left.onResponseEnd!.responseEnded(200, 1024, false);
  assert.deepEqual(JSON.parse(lines[1]!).aborted, true, 'a client gone mid-body is marked');

  // A client gone before any answer: the route has not replied, the server wrote no head.
  const early = request('/function/known/');
  early.onResponseEnd = undefined;
  const silent = withAccessLog(() => undefined, { logger, monotonic: () => clock });
  silent(early, { reply: () => undefined });
  early.onResponseEnd!.responseEnded(0, 0, false);
  assert.deepEqual([JSON.parse(lines[2]!).status, JSON.parse(lines[2]!).backend, JSON.parse(lines[2]!).headMs], [499, '-', '-']);
});

test('request target and function name from a URL', () => {
  assert.equal(requestTarget('http://h:1/function/f/x?y'), '/function/f/x?y');
  assert.equal(requestTarget('http://h'), '/');
  assert.equal(functionName('/function/f/x'), 'f');
  assert.equal(functionName('/function/f?x'), 'f');
  assert.equal(functionName('/function/'), '-');
  assert.equal(functionName('/other'), '-');
});
