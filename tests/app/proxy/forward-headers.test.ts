import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientHeaders, clientResponseHeaders, upstreamHeaderBlock, type ForwardContext } from '../../../app/proxy/forward-headers.ts';
import { ResponseParser, type ResponseHead } from '../../../app/proxy/response-parser.ts';

const ctx: ForwardContext = {
  clientAddress: '192.0.2.7',
  proto: 'http',
  via: '1.1 node-a',
  timestampHeader: 'x-forwarded-host-node-a',
  timestamp: '1700000000.0000000',
  finalHost: '10.0.0.1:8080',
  forwarded: false,
  forwardedBy: undefined,
};

function lines(block: string): string[] {
  return block.split('\r\n').filter(Boolean);
}

test('hop-by-hop and Connection-named headers are dropped on the way up', () => {
  const h = new Headers({
    connection: 'keep-alive, X-Foo',
    'x-foo': '1',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    upgrade: 'h2c',
    'proxy-authorization': 'Basic x',
    'transfer-encoding': 'chunked',
    expect: '100-continue',
    host: 'public.example',
    'content-length': '3',
    accept: 'text/plain',
  });
  const out = lines(upstreamHeaderBlock(h, ctx));
  assert.deepEqual(out, [
    'accept: text/plain',
    'x-forwarded-for: 192.0.2.7',
    'x-forwarded-host: public.example',
    'x-forwarded-proto: http',
    'via: 1.1 node-a',
    'x-forwarded-host-node-a: 1700000000.0000000',
    'x-final-host: 10.0.0.1:8080',
  ]);
});

test('X-Forwarded-For and Via are appended to what came in', () => {
  const out = lines(upstreamHeaderBlock(new Headers({ 'x-forwarded-for': '10.1.1.1', via: '1.1 edge' }), ctx));
  assert.ok(out.includes('x-forwarded-for: 10.1.1.1, 192.0.2.7'));
  assert.ok(out.includes('via: 1.1 edge, 1.1 node-a'));
});

test("a Connection header naming X-Forwarded-For cannot remove golb's own", () => {
  const out = lines(upstreamHeaderBlock(new Headers({ connection: 'close, X-Forwarded-For, Content-Length', 'x-forwarded-for': '6.6.6.6' }), ctx));
  assert.ok(out.includes('x-forwarded-for: 192.0.2.7'));
  assert.ok(!out.some((l) => l.includes('6.6.6.6')));
});

/** The parsed head of an upstream response with these header lines. */
function upstreamHead(...lines: string[]): ResponseHead {
  return upstreamHeadWith('HTTP/1.1 200 OK', ...lines);
}

/** The parsed head of an upstream response with this status line and these header lines. */
function upstreamHeadWith(statusLine: string, ...lines: string[]): ResponseHead {
  let head: ResponseHead | undefined;
  const parser = new ResponseParser({ head: (h) => (head = h), body: () => undefined, end: () => undefined, error: (r) => assert.fail(r) }, false);
  parser.feed(Buffer.from(`${statusLine}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`, 'latin1'));
  return head!;
}

/** The header lines as golb writes them to the client. */
function rendered(block: ClientHeaders): string {
  const buf = Buffer.alloc(block.byteLength + 4, '#');
  assert.equal(block.writeTo(buf, 2), block.byteLength + 2);
  return buf.toString('latin1');
}

test('response: hop-by-hop and nominated headers dropped, Set-Cookie kept separate, seed headers added', () => {
  const h = new Headers(clientResponseHeaders(
    upstreamHead(
      'Connection: X-Internal',
      'x-internal: secret',
      'Keep-Alive: timeout=5',
      'transfer-encoding: chunked',
      'set-cookie: a=1',
      'Set-Cookie: b=2',
      'content-type: text/plain',
      'X-Final-Host: spoofed',
      'X-Forwarded-Host-Node-A: spoofed',
    ),
    ctx,
  ).pairs());
  assert.equal(h.get('x-internal'), null);
  assert.equal(h.get('connection'), null);
  assert.equal(h.get('keep-alive'), null);
  assert.equal(h.get('transfer-encoding'), null);
  assert.deepEqual(h.getSetCookie(), ['a=1', 'b=2']);
  assert.equal(h.get('x-final-host'), '10.0.0.1:8080');
  assert.equal(h.get('x-forwarded-host-node-a'), '1700000000.0000000');
  assert.equal(h.get('via'), '1.1 node-a');
});

test("response: the upstream's Via is kept ahead of golb's; Connection: keep-alive names nothing", () => {
  const h = new Headers(clientResponseHeaders(upstreamHead('connection: Keep-Alive', 'Via: 1.1 pod', 'x-a: 1'), ctx).pairs());
  assert.equal(h.get('via'), '1.1 pod, 1.1 node-a');
  assert.equal(h.get('x-a'), '1');
  assert.equal(h.get('connection'), null);
});

test('response: kept lines are copied byte for byte, dropped ones cut out, golb\'s appended', () => {
  const block = clientResponseHeaders(upstreamHead('Server: up', 'Content-Length:  5 ', 'Connection: close, X-Trace', 'X-Trace: 1', 'Via: 1.0 a', 'Date: now', 'Upgrade: h2c'), ctx);
  assert.equal(
    rendered(block),
    '##HTTP/1.1 200 OK\r\nServer: up\r\nContent-Length:  5 \r\nDate: now\r\nvia: 1.0 a, 1.1 node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n##',
  );
  assert.deepEqual(block.pairs().slice(0, 3), [['server', 'up'], ['content-length', '5'], ['date', 'now']]);
});

test('response: the status line goes out as HTTP/1.1, an empty reason phrase with its space', () => {
  const own = 'via: 1.1 node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n';
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.0 404 Not Found', 'X-A: 1'), ctx)), `##HTTP/1.1 404 Not Found\r\nX-A: 1\r\n${own}##`);
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.1 299', 'X-A: 1'), ctx)), `##HTTP/1.1 299 \r\nX-A: 1\r\n${own}##`);
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.0 204'), ctx)), `##HTTP/1.1 204 \r\n${own}##`);
});

test('response: a Content-Length next to Transfer-Encoding is not relayed, and Connection cannot name Content-Length or Host', () => {
  const te = clientResponseHeaders(upstreamHead('Content-Length: 9', 'Transfer-Encoding: chunked', 'X-A: 1'), ctx);
  assert.deepEqual(te.pairs()[0], ['x-a', '1']);
  const named = clientResponseHeaders(upstreamHead('Connection: content-length, host', 'Content-Length: 0', 'Host: h'), ctx);
  assert.deepEqual(named.pairs().slice(0, 2), [['content-length', '0'], ['host', 'h']]);
});

test('a forwarded request keeps the original X-Forwarded-Host; a gateway target gets the forwarding mark', () => {
  const h = new Headers({ host: '10.0.0.9:8080', 'x-forwarded-host': 'public.example', 'x-golb-forwarded-by': 'spoof' });
  const out = lines(upstreamHeaderBlock(h, { ...ctx, forwarded: true, forwardedBy: 'gw-a, node-a' }));
  assert.ok(out.includes('x-forwarded-host: public.example'));
  assert.ok(out.includes('x-golb-forwarded-by: gw-a, node-a'));
  assert.ok(!out.includes('x-golb-forwarded-by: spoof'));
  const client = lines(upstreamHeaderBlock(h, ctx));
  assert.ok(client.includes('x-forwarded-host: 10.0.0.9:8080'), 'a client cannot choose X-Forwarded-Host');
  assert.ok(!client.some((l) => l.startsWith('x-golb-forwarded-by')), 'pods get no mark');
});
