import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upstreamHeaderBlock, type ForwardContext } from '../../../app/proxy/forward-headers.ts';
import { ClientHeaders, clientResponseHeaders } from '../../../app/proxy/response-headers.ts';
import { ResponseParser } from '../../../app/proxy/response-parser.ts';
import type { ResponseHead } from '../../../app/proxy/response-head.ts';
import type { HeaderLines } from '../../../app/proxy/engine.ts';
import type { HeaderLookup } from '../../../app/client-request.ts';
import { RequestParser, type RequestHead } from '../../../app/server/request-parser.ts';

const ctx: ForwardContext = {
  clientAddress: '192.0.2.7',
  proto: 'http',
  via: '1.1 node-a',
  timestampHeader: 'x-forwarded-host-node-a',
  timestamp: '1700000000.0000000',
  finalHost: '10.0.0.1:8080',
  forwarded: false,
  forwardedBy: undefined,
  requestId: undefined,
  traceHeaders: true,
  gatewayBackend: false,
};

/** The lines of an upstream header block, names lower-cased (a parsed request keeps the client's case). */
function lines(block: HeaderLines): string[] {
  const buf = Buffer.alloc(block.byteLength + 2, '#');
  const end = block.writeTo(buf, 1);
  assert.ok(end <= block.byteLength + 1, 'writes no more than byteLength');
  assert.equal(buf[0], 35, 'writes nothing before its offset');
  return buf
    .toString('latin1', 1, end)
    .split('\r\n')
    .filter(Boolean)
    .map((l) => l.slice(0, l.indexOf(':')).toLowerCase() + l.slice(l.indexOf(':')));
}

/**
 * The same header fields as a web `Headers` and as golb's server parses them
 * from a client's head (copied as bytes on the way up): every request test
 * runs on both.
 */
function sources(fields: [string, string][]): [string, HeaderLookup][] {
  let head: RequestHead | undefined;
  const parser = new RequestParser({ head: (h) => (head = h), body: () => undefined, end: () => undefined, error: (_s, r) => assert.fail(r) });
  // HTTP/1.0 when the fields have no Host, which HTTP/1.1 requires.
  const version = fields.some(([n]) => n.toLowerCase() === 'host') ? '1.1' : '1.0';
  parser.feed(Buffer.from(`GET / HTTP/${version}\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`, 'latin1'));
  return [['web Headers', new Headers(fields)], ['parsed request', head!.headers]];
}

test('hop-by-hop and Connection-named headers are dropped on the way up', () => {
  for (const [source, h] of sources([
    ['Connection', 'keep-alive, X-Foo'],
    ['X-Foo', '1'],
    ['Keep-Alive', 'timeout=5'],
    ['TE', 'trailers'],
    ['Upgrade', 'h2c'],
    ['Proxy-Authorization', 'Basic x'],
    ['Proxy-Connection', 'keep-alive'],
    ['Transfer-Encoding', 'chunked'],
    ['Expect', '100-continue'],
    ['Host', 'public.example'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Golb-Forwarded-By', 'spoof'],
    ['Accept', 'text/plain'],
  ])) {
    assert.deepEqual(lines(upstreamHeaderBlock(h, ctx)), [
      'accept: text/plain',
      'x-forwarded-for: 192.0.2.7',
      'x-forwarded-host: public.example',
      'x-forwarded-proto: http',
      'via: 1.1 node-a',
      'x-forwarded-host-node-a: 1700000000.0000000',
      'x-final-host: 10.0.0.1:8080',
    ], source);
  }
});

test('a parsed request keeps its lines as received, adjacent ones and the Host value copied whole', () => {
  const h = sources([['User-Agent', 'wrk'], ['Host', 'h.example:81'], ['X-A', ' 1  '], ['X-B', '2'], ['Content-Length', '0'], ['X-C', '3']])[1]![1];
  const block = upstreamHeaderBlock(h, ctx);
  const buf = Buffer.alloc(block.byteLength);
  assert.equal(
    buf.toString('latin1', 0, block.writeTo(buf, 0)),
    'User-Agent: wrk\r\nX-A:  1  \r\nX-B: 2\r\nX-C: 3\r\nx-forwarded-for: 192.0.2.7\r\nx-forwarded-host: h.example:81\r\n' +
      'x-forwarded-proto: http\r\nvia: 1.1 node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n',
  );
});

test('a parsed request: long lines, runs split by dropped ones, a Connection-named line, all within byteLength', () => {
  const long = 'x'.repeat(300);
  const h = sources([
    ['Host', 'h'],
    ['Connection', 'keep-alive, X-Drop'],
    ['X-Long', long],
    ['X-Drop', 'secret'],
    ['Cookie', `a=${long}`],
    ['Keep-Alive', 'timeout=5'],
    ['X-Last', '1'],
  ])[1]![1];
  const out = lines(upstreamHeaderBlock(h, ctx));
  assert.deepEqual(out.slice(0, 3), [`x-long: ${long}`, `cookie: a=${long}`, 'x-last: 1']);
  assert.ok(!out.some((l) => l.includes('secret') || l.startsWith('keep-alive') || l.startsWith('connection')));
});

test('X-Forwarded-For and Via are appended to what came in', () => {
  for (const [source, h] of sources([['X-Forwarded-For', '10.1.1.1'], ['Via', '1.1 edge'], ['via', '1.0 b']])) {
    const out = lines(upstreamHeaderBlock(h, ctx));
    assert.ok(out.includes('x-forwarded-for: 10.1.1.1, 192.0.2.7'), source);
    assert.ok(out.includes('via: 1.1 edge, 1.0 b, 1.1 node-a'), source);
    assert.equal(out.filter((l) => l.startsWith('via:')).length, 1, source);
  }
});

test("a Connection header naming X-Forwarded-For cannot remove golb's own", () => {
  for (const [source, h] of sources([['Connection', 'close, X-Forwarded-For, Content-Length'], ['X-Forwarded-For', '6.6.6.6']])) {
    const out = lines(upstreamHeaderBlock(h, ctx));
    assert.ok(out.includes('x-forwarded-for: 192.0.2.7'), source);
    assert.ok(!out.some((l) => l.includes('6.6.6.6')), source);
  }
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
    '##HTTP/1.1 200 OK\r\nServer: up\r\nContent-Length:  5 \r\nDate: now\r\nvia: 1.0 a, 1.1 node-a\r\nx-forwarded-for: node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n##',
  );
  assert.deepEqual(block.pairs().slice(0, 3), [['server', 'up'], ['content-length', '5'], ['date', 'now']]);
});

test('response: the status line goes out as HTTP/1.1, an empty reason phrase with its space', () => {
  const own = 'via: 1.1 node-a\r\nx-forwarded-for: node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n';
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.0 404 Not Found', 'X-A: 1'), ctx)), `##HTTP/1.1 404 Not Found\r\nX-A: 1\r\n${own}##`);
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.1 299', 'X-A: 1'), ctx)), `##HTTP/1.1 299 \r\nX-A: 1\r\n${own}##`);
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.0 204'), ctx)), `##HTTP/1.1 204 \r\n${own}##`);
});

test('response: Connection cannot name Content-Length or Host (a Content-Length next to Transfer-Encoding never gets here: the parser refuses it)', () => {
  const named = clientResponseHeaders(upstreamHead('Connection: content-length, host', 'Content-Length: 0', 'Host: h'), ctx);
  assert.deepEqual(named.pairs().slice(0, 2), [['content-length', '0'], ['host', 'h']]);
});

test('response: no Content-Length line on a 204 or 304 (a repeated one never gets here: the parser refuses it)', () => {
  const own = 'via: 1.1 node-a\r\nx-forwarded-for: node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n';
  assert.equal(rendered(clientResponseHeaders(upstreamHeadWith('HTTP/1.1 204 No Content', 'Content-Length: 0', 'X-A: 1'), ctx)), `##HTTP/1.1 204 No Content\r\nX-A: 1\r\n${own}##`);
  const notModified = clientResponseHeaders(upstreamHeadWith('HTTP/1.1 304 Not Modified', 'ETag: "v"', 'Content-Length: 7'), ctx);
  assert.equal(rendered(notModified), `##HTTP/1.1 304 Not Modified\r\nETag: "v"\r\n${own}##`);
  assert.deepEqual(notModified.pairs()[0], ['etag', '"v"']);
  assert.equal(notModified.pairs().length, 5);
});

test('a forwarded request keeps the original X-Forwarded-Host; a gateway target gets the forwarding mark', () => {
  for (const [source, h] of sources([['Host', '10.0.0.9:8080'], ['X-Forwarded-Host', 'public.example'], ['X-Golb-Forwarded-By', 'spoof']])) {
    const out = lines(upstreamHeaderBlock(h, { ...ctx, forwarded: true, forwardedBy: 'gw-a, node-a' }));
    assert.ok(out.includes('x-forwarded-host: public.example'), source);
    assert.equal(out.filter((l) => l.startsWith('x-forwarded-host:')).length, 1, source);
    assert.ok(out.includes('x-golb-forwarded-by: gw-a, node-a'), source);
    assert.ok(!out.includes('x-golb-forwarded-by: spoof'), source);
    const client = lines(upstreamHeaderBlock(h, ctx));
    assert.ok(client.includes('x-forwarded-host: 10.0.0.9:8080'), `${source}: a client cannot choose X-Forwarded-Host`);
    assert.ok(!client.some((l) => l.startsWith('x-golb-forwarded-by')), `${source}: pods get no mark`);
  }
});

test("a client's X-Final-Host and X-Forwarded-Host-<node> lines do not go on; golb's do, once", () => {
  for (const [source, h] of sources([
    ['Host', 'h'],
    ['X-Final-Host', '6.6.6.6:1'],
    ['X-Forwarded-Host-Evil', '1.0000000'],
    ['X-Forwarded-Host-node-a', '2.0000000'],
    ['X-Forwarded-Host-', 'kept'],
    ['X-Forwarded-Hostile', 'kept'],
  ])) {
    assert.deepEqual(lines(upstreamHeaderBlock(h, ctx)), [
      'x-forwarded-host-: kept',
      'x-forwarded-hostile: kept',
      'x-forwarded-for: 192.0.2.7',
      'x-forwarded-host: h',
      'x-forwarded-proto: http',
      'via: 1.1 node-a',
      'x-forwarded-host-node-a: 1700000000.0000000',
      'x-final-host: 10.0.0.1:8080',
    ], source);
  }
});

test("a forwarded request keeps the earlier hops' X-Forwarded-Host-<node>, not their X-Final-Host nor this node's", () => {
  for (const [source, h] of sources([
    ['Host', '10.0.0.9:8080'],
    ['X-Golb-Forwarded-By', 'gw-y'],
    ['X-Forwarded-Host-gw-y', '1.0000000'],
    ['X-Final-Host', '10.0.0.9:8080'],
    ['x-forwarded-host-NODE-A', '2.0000000'],
    ['X-Forwarded-Host-gw-z', '3.0000000'],
  ])) {
    // (Web Headers iterate in name order: the kept lines are given in that order.)
    const out = lines(upstreamHeaderBlock(h, { ...ctx, forwarded: true }));
    assert.deepEqual(out.filter((l) => l.startsWith('x-forwarded-host-') || l.startsWith('x-final-host')), [
      'x-forwarded-host-gw-y: 1.0000000',
      'x-forwarded-host-gw-z: 3.0000000',
      'x-forwarded-host-node-a: 1700000000.0000000',
      'x-final-host: 10.0.0.1:8080',
    ], source);
  }
});

test('RequestHeaders finds an X-Forwarded-Host-<node> and X-Final-Host by name', () => {
  const h = sources([['Host', 'h'], ['X-Forwarded-Host-a', '1'], ['X-Forwarded-Host-b', '2'], ['X-Final-Host', 'f']])[1]![1];
  assert.equal(h.get('x-forwarded-host-b'), '2');
  assert.equal(h.get('x-forwarded-host-a'), '1');
  assert.equal(h.has('x-forwarded-host-c'), false);
  assert.equal(h.get('x-final-host'), 'f');
});

test("X-Request-Id: golb's id replaces the client's line on the way up; with no id of golb's the client's goes on", () => {
  for (const [source, h] of sources([['Host', 'public.example'], ['X-Request-Id', 'from-client'], ['X-A', '1']])) {
    const sent = lines(upstreamHeaderBlock(h, { ...ctx, requestId: 'abc-1' }));
    assert.deepEqual(sent.filter((l) => l.startsWith('x-request-id')), ['x-request-id: abc-1'], source);
    assert.ok(sent.includes('x-a: 1'), source);
    const plain = lines(upstreamHeaderBlock(h, ctx));
    assert.deepEqual(plain.filter((l) => l.startsWith('x-request-id')), ['x-request-id: from-client'], source);
  }
});

test("response: the request's id goes back in place of the upstream's X-Request-Id, its length counted exactly", () => {
  const own = 'via: 1.1 node-a\r\nx-forwarded-for: node-a\r\nx-forwarded-host-node-a: 1700000000.0000000\r\nx-final-host: 10.0.0.1:8080\r\n';
  const block = clientResponseHeaders(upstreamHeadWith('HTTP/1.1 200 OK', 'X-Request-Id: pod-made', 'X-A: 1'), { ...ctx, requestId: 'abc-1' });
  assert.equal(rendered(block), `##HTTP/1.1 200 OK\r\nX-A: 1\r\n${own}x-request-id: abc-1\r\n##`);
  assert.equal(new Headers(block.pairs()).get('x-request-id'), 'abc-1');
  const kept = clientResponseHeaders(upstreamHeadWith('HTTP/1.1 200 OK', 'X-Request-Id: pod-made'), ctx);
  assert.equal(new Headers(kept.pairs()).get('x-request-id'), 'pod-made', 'without an id of its own golb leaves the line alone');
});

test("response: the seed's trace headers: this node's hop and X-Final-Host first, a gateway's lists after them, a pod's replaced", () => {
  const fromGateway = new Headers(clientResponseHeaders(
    upstreamHead('X-Forwarded-For: gw-b', 'x-forwarded-host-gw-b: 1700000000.5000000', 'X-Final-Host: 10.0.9.9:8080', 'X-A: 1'),
    { ...ctx, gatewayBackend: true, finalHost: '10.0.0.2:8080' },
  ).pairs());
  assert.equal(fromGateway.get('x-forwarded-for'), 'node-a, gw-b');
  assert.equal(fromGateway.get('x-final-host'), '10.0.0.2:8080, 10.0.9.9:8080');
  assert.equal(fromGateway.get('x-forwarded-host-node-a'), '1700000000.0000000');
  assert.equal(fromGateway.get('x-forwarded-host-gw-b'), '1700000000.5000000');
  assert.equal(fromGateway.get('x-a'), '1');
  const fromPod = new Headers(clientResponseHeaders(upstreamHead('X-Forwarded-For: 192.0.2.7', 'X-Final-Host: spoofed'), ctx).pairs());
  assert.equal(fromPod.get('x-forwarded-for'), 'node-a', "a pod's X-Forwarded-For is not a hop list");
  assert.equal(fromPod.get('x-final-host'), '10.0.0.1:8080');
});

test('response: trace headers off: Via alone of golb\'s lines; an upstream X-Forwarded-For passes as any header', () => {
  const block = clientResponseHeaders(upstreamHead('X-Forwarded-For: gw-b', 'X-Final-Host: 10.0.9.9:8080', 'X-A: 1'), { ...ctx, traceHeaders: false, gatewayBackend: true });
  assert.equal(rendered(block), '##HTTP/1.1 200 OK\r\nX-Forwarded-For: gw-b\r\nX-A: 1\r\nvia: 1.1 node-a\r\n##');
  const plain = clientResponseHeaders(upstreamHead('X-A: 1'), { ...ctx, traceHeaders: false });
  assert.equal(rendered(plain), '##HTTP/1.1 200 OK\r\nX-A: 1\r\nvia: 1.1 node-a\r\n##');
});
