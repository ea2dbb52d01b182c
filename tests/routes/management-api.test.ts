/**
 * The management API's pure parts: which paths are golb's own (never sent to
 * the node pool), the `{"node": "host:port"}` body of `/1/lb/nodes`, and the
 * bounded body reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGolbPath } from '../../routes/node-pool-proxy.ts';
import { nodeOfBody } from '../../routes/nodes-api.ts';
import { readBody } from '../../routes/functions-api.ts';
import { GatewayError } from '../../app/errors.ts';

test("golb's own paths stay golb's; everything else is the pool's", () => {
  for (const p of ['/function', '/function/x', '/function/x/y', '/1/lb', '/1/lb/nodes', '/1/lb/functions/x', '/healthz', '/readyz', '/metrics']) {
    assert.equal(isGolbPath(p), true, p);
  }
  for (const p of ['/', '/r/app/route', '/v1/apps', '/functions', '/function-x', '/1/lbx', '/1/l', '/healthz/x', '/metricsx', '/version']) {
    assert.equal(isGolbPath(p), false, p);
  }
});

test('nodeOfBody: {"node": "host:port"}, canonical; anything else is a 400', () => {
  assert.equal(nodeOfBody('{"node": "127.0.0.1:8080"}'), '127.0.0.1:8080');
  assert.equal(nodeOfBody('{"node": "[::1]:80", "extra": 1}'), '[::1]:80');
  for (const bad of ['', 'x', '[]', 'null', '{}', '{"node": 1}', '{"node": "host"}', '{"node": "host:99999"}', '"127.0.0.1:80"', '{"nodes": "a:1"}']) {
    assert.throws(() => nodeOfBody(bad), (err: unknown) => err instanceof GatewayError && err.status === 400, bad);
  }
});

test('readBody reads up to its limit, by Content-Length at once or while streaming', async () => {
  assert.equal(await readBody(new Request('http://x/', { method: 'PUT', body: 'hello' }), 5), 'hello');
  assert.equal(await readBody(new Request('http://x/', { method: 'DELETE' }), 5), '');
  await assert.rejects(readBody(new Request('http://x/', { method: 'PUT', body: 'hello!' }), 5), (err: unknown) => err instanceof GatewayError && err.status === 413);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(4));
      c.enqueue(new Uint8Array(4));
      c.close();
    },
  });
  const streamed = new Request('http://x/', { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
  await assert.rejects(readBody(streamed, 5), (err: unknown) => err instanceof GatewayError && err.code === 'body_too_large');
});
