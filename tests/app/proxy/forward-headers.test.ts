import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientResponseHeaders, upstreamHeaderBlock, type ForwardContext } from '../../../app/proxy/forward-headers.ts';

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

test('response: hop-by-hop and nominated headers dropped, Set-Cookie kept separate, seed headers added', () => {
  const h = new Headers(clientResponseHeaders(
    [
      ['connection', 'x-internal'],
      ['x-internal', 'secret'],
      ['keep-alive', 'timeout=5'],
      ['transfer-encoding', 'chunked'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['content-type', 'text/plain'],
      ['x-final-host', 'spoofed'],
      ['X-Forwarded-Host-Node-A'.toLowerCase(), 'spoofed'],
    ],
    ctx,
  ));
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
  const h = new Headers(clientResponseHeaders([['connection', 'Keep-Alive'], ['via', '1.1 pod'], ['x-a', '1']], ctx));
  assert.equal(h.get('via'), '1.1 pod, 1.1 node-a');
  assert.equal(h.get('x-a'), '1');
  assert.equal(h.get('connection'), null);
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
