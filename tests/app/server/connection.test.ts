// The client connection without sockets: golb's server on the in-memory
// transport, a test playing the client byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyHandler } from '../../../app/client-request.ts';
import { Http1Server, type Http1ServerOptions } from '../../../app/server/http1-server.ts';
import { ADMIT_ALL, MemoryTransport } from '../../support/memory-transport.ts';
import { manualTimer } from '../../support/manual-timer.ts';

async function serve(options: Partial<Http1ServerOptions> = {}) {
  const transport = new MemoryTransport();
  const { timer, sweep } = manualTimer();
  const errors: unknown[] = [];
  const proxy: ProxyHandler = (req, to) => to.reply(new Response(`fn ${req.method} ${req.target}`, { headers: { 'x-route': 'proxy' } }));
  const server = new Http1Server({
    proxy,
    fetch: (req) => new Response(`web ${new URL(req.url).pathname}`),
    idleTimeoutMs: 1000,
    bodyTimeoutMs: 1000,
    requestBufferBytes: 1024,
    onError: (err) => errors.push(err),
    origin: { zone: 'z', node: 'n' },
    admission: ADMIT_ALL,
    timer,
    now: () => 0,
    ...options,
  });
  const port = await server.listen(transport, '127.0.0.1', 0);
  return { transport, server, sweep, errors, dial: () => transport.dial('127.0.0.1', port) };
}

/** The responses in `text` that are complete (framed by length or chunked), as [head, body]. */
function responses(text: string): [string, string][] {
  const out: [string, string][] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const head = rest.slice(0, end);
    let at = end + 4;
    let body = '';
    if (/transfer-encoding: chunked/i.test(head)) {
      for (;;) {
        const eol = rest.indexOf('\r\n', at);
        if (eol < 0) return out;
        const size = parseInt(rest.slice(at, eol), 16);
        if (rest.length < eol + 2 + size + 2) return out;
        body += rest.slice(eol + 2, eol + 2 + size);
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (rest.length < at + length) return out;
      body = rest.slice(at, at + length);
      at += length;
    }
    out.push([head, body]);
    rest = rest.slice(at);
  }
}

test('a /function/ request goes to the proxy route, anything else to the web app; the Date is the clock given', async () => {
  const s = await serve();
  const c = s.dial();
  c.send('GET /function/f/x HTTP/1.1\r\nHost: h\r\n\r\nGET /other HTTP/1.1\r\nHost: h\r\n\r\n');
  const text = await c.until((t) => responses(t).length === 2);
  const [[head1, body1], [head2, body2]] = responses(text) as [[string, string], [string, string]];
  assert.match(head1, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head1, /\r\nx-route: proxy/);
  assert.match(head1, /\r\ndate: Thu, 01 Jan 1970 00:00:00 GMT/);
  assert.equal(body1, 'fn GET /function/f/x');
  assert.equal(body2, 'web /other', 'pipelined: answered second, in order');
  assert.doesNotMatch(head2, /connection: close/);
  s.server.destroy();
});

test('a malformed request is answered 400 with the JSON error and the connection closes', async () => {
  const s = await serve();
  const c = s.dial();
  c.send('GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
  const text = await c.closedDown();
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(text, /connection: close\r\n/);
  assert.match(text, /"error":"bad_request"/);
  s.server.destroy();
});

test('a head not complete within the idle timeout is answered 408 by the sweep, on the timer given', async () => {
  const s = await serve();
  const c = s.dial();
  c.send('GET / HTTP/1.1\r\nHo');
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20; i++) s.sweep(); // well past the idle timeout in sweeps
  const text = await c.closedDown();
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  s.server.destroy();
});

test('a request body is read whole before the route, and a chunked one arrives de-chunked', async () => {
  const proxy: ProxyHandler = (req, to) => {
    void new Response(req.body).text().then((body) => to.reply(new Response(`got ${body}`)));
  };
  const s = await serve({ proxy });
  const c = s.dial();
  c.send('POST /function/f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n');
  const text = await c.until((t) => responses(t).length === 1);
  assert.equal(responses(text)[0]![1], 'got abcde');
  s.server.destroy();
});
