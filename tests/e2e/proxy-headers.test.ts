/**
 * Headers, limits and errors through the proxy on each runtime, over real
 * sockets: hop-by-hop headers dropped both ways (and not abusable to strip
 * golb's own X-Forwarded-For), Host and X-Forwarded-Host, several Set-Cookie,
 * the request body limit, and the JSON errors 502, 503 and 504. Raw TCP where
 * fetch would refuse to send a header or would hide the wire format.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { rawExchange } from '../support/raw-http.ts';

const KB = 1024;
const MB = 1024 * KB;

/** A response read whole by node:http. */
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends `body` with node:http through `agent`: with Content-Length, or
 * chunked in 64 KB writes (an empty body: a GET). Resolves with the response
 * even when golb answers before the upload is done and the socket then breaks
 * under the client's remaining writes.
 */
function upload(agent: Agent, port: number, path: string, body: Buffer, chunked: boolean): Promise<Reply> {
  return new Promise((res, rej) => {
    const method = body.length === 0 ? 'GET' : 'POST';
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers: chunked ? {} : { 'content-length': body.length } });
    let answered = false;
    req.on('response', (m) => {
      answered = true;
      let text = '';
      m.on('data', (c: Buffer) => (text += c.toString()));
      m.on('end', () => res({ status: m.statusCode!, headers: m.headers, body: text }));
      m.on('error', () => res({ status: m.statusCode!, headers: m.headers, body: text }));
    });
    req.on('error', (err) => {
      if (!answered) rej(err);
    });
    let i = 0;
    const next = () => {
      while (i < body.length) {
        const ok = req.write(body.subarray(i, i + 64 * KB));
        i += 64 * KB;
        if (!ok) return void req.once('drain', next);
      }
      req.end();
    };
    next();
  });
}

/** Checks an error body: JSON with every field docs/routing.md lists. */
function assertErrorBody(contentType: string | undefined, text: string, error: string, fn: string, runtime: string): void {
  assert.match(contentType ?? '', /^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'function', 'message', 'node', 'zone']);
  assert.equal(body.error, error);
  assert.equal(typeof body.message, 'string');
  assert.notEqual(body.message, '');
  assert.equal(body.function, fn);
  assert.equal(body.zone, 'local');
  assert.equal(body.node, `golb-${runtime}`);
}

/** The last entry of a comma-separated list header. */
const lastEntry = (v: string | string[] | undefined) => String(v ?? '').split(',').pop()!.trim();

let echo: Backend;
let special: Backend;
/** Bytes each path delivered to the counting backend, counted as they arrive. */
const received = new Map<string, number>();
let counting: Server;
let countingAddress: string;
let deadAddress: string;

before(async () => {
  echo = await startBackend();
  special = await startBackend((req, res) => {
    if (req.url === '/hop-response') {
      res.writeHead(200, { connection: 'x-internal', 'x-internal': 'secret', 'keep-alive': 'timeout=5', 'content-type': 'text/plain' });
      res.end('hop');
    } else if (req.url === '/cookies') {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
      res.end('cookies');
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('too late'), 2500);
    } else res.writeHead(404).end();
  });
  counting = createServer((req, res) => {
    if (req.url!.startsWith('/early')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('no thanks'); // answers without reading the upload
      return;
    }
    received.set(req.url!, 0);
    req.on('data', (c: Buffer) => received.set(req.url!, received.get(req.url!)! + c.length));
    req.on('end', () => res.end(JSON.stringify({ length: received.get(req.url!) })));
  });
  await new Promise<void>((r) => counting.listen(0, '127.0.0.1', r));
  countingAddress = `127.0.0.1:${(counting.address() as AddressInfo).port}`;
  deadAddress = `127.0.0.1:${await freePort()}`;
});

after(async () => {
  counting.closeAllConnections();
  await Promise.all([echo.close(), special.close(), new Promise((r) => counting.close(r))]);
});

for (const runtime of RUNTIMES) {
  describe(`proxy headers, limits and errors on ${runtime}`, () => {
    let golb: GolbProcess;
    /** One pooled keep-alive connection, as an HTTP client library would use. */
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    /** After a refused upload, the client's next request through its pool works. */
    const nextRequestWorks = async () => {
      const r = await upload(agent, golb.port, '/function/count/next', Buffer.alloc(0), false);
      assert.equal(r.status, 200, `the next request: ${r.status} ${r.body}`);
    };
    /** The last request `echo` received on `url`. */
    const seenAt = (url: string) => echo.seen.findLast((s) => s.url === url);

    before(async () => {
      golb = await startGolb(runtime, {
        weights: {
          echo: { ips: [echo.address], weights: [1] },
          special: { ips: [special.address], weights: [1] },
          count: { ips: [countingAddress], weights: [1] },
          dead: { ips: [deadAddress], weights: [1] },
          drained: { ips: [echo.address], weights: [0] },
        },
        env: { eb_go_lb_max_body_size: '1m', eb_go_lb_response_timeout: '1' },
      });
    });
    after(async () => {
      agent.destroy();
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
    });

    test('hop-by-hop request headers, and those Connection names, do not reach the backend', async () => {
      const url = `/hop-${runtime}`;
      const res = await rawExchange(
        golb.port,
        `GET /function/echo${url} HTTP/1.1\r\nHost: gw.example\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\nKeep-Alive: timeout=5\r\n` +
          `TE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nX-Kept: yes\r\n\r\n`,
      );
      assert.equal(res?.status, 200);
      const seen = seenAt(url);
      assert.ok(seen, 'the backend got the request');
      for (const name of ['x-foo', 'keep-alive', 'te', 'upgrade', 'proxy-authorization']) assert.equal(seen.headers[name], undefined, name);
      assert.doesNotMatch(seen.headers.connection ?? '', /x-foo|upgrade/i);
      assert.equal(seen.headers['x-kept'], 'yes', 'end-to-end headers pass');
    });

    test('hop-by-hop response headers, and those Connection names, do not reach the client', async () => {
      const res = await rawExchange(golb.port, `GET /function/special/hop-response HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
      assert.ok(res?.complete);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'hop');
      assert.equal(res.get('x-internal'), undefined);
      assert.doesNotMatch(res.all('connection').join(','), /x-internal/i);
      assert.doesNotMatch(res.all('keep-alive').join(','), /timeout=5\b/, "the backend's Keep-Alive is not relayed");
      assert.equal(res.get('content-type'), 'text/plain');
    });

    test('Connection: close, X-Forwarded-For cannot strip the X-Forwarded-For golb computes', async () => {
      const url = `/xff-${runtime}`;
      const res = await rawExchange(golb.port, `GET /function/echo${url} HTTP/1.1\r\nHost: gw\r\nConnection: close, X-Forwarded-For, Via\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n`);
      assert.equal(res?.status, 200);
      const seen = seenAt(url)!;
      assert.equal(lastEntry(seen.headers['x-forwarded-for']), '127.0.0.1', 'the client address is the last hop');
      assert.equal(lastEntry(seen.headers.via), `1.1 golb-${runtime}`);
      assert.equal(seen.headers['x-final-host'], echo.address);
    });

    test('the pod gets Host: its own address; the client\'s Host goes into X-Forwarded-Host', async () => {
      const url = `/host-${runtime}`;
      const res = await rawExchange(golb.port, `GET /function/echo${url} HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n`);
      assert.equal(res?.status, 200);
      const seen = seenAt(url)!;
      assert.equal(seen.headers.host, echo.address);
      assert.equal(seen.headers['x-forwarded-host'], 'public.example');
      assert.equal(seen.rawHeaders.filter((h) => h.toLowerCase() === 'host').length, 1, 'exactly one Host');
    });

    test('several Set-Cookie headers stay several', async () => {
      const res = await rawExchange(golb.port, `GET /function/special/cookies HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
      assert.equal(res?.status, 200);
      assert.deepEqual(res.all('set-cookie'), ['a=1; Path=/', 'b=2; HttpOnly']);
    });

    test('a 2 MB upload with Content-Length over the 1 MB limit: 413 JSON, the backend never sees it', async () => {
      const path = `/cl-${runtime}`;
      const r = await upload(agent, golb.port, `/function/count${path}`, Buffer.alloc(2 * MB, 1), false);
      assert.equal(r.status, 413);
      assertErrorBody(r.headers['content-type'] as string, r.body, 'body_too_large', 'count', runtime);
      assert.equal(received.has(path), false, 'the backend was not contacted');
      await nextRequestWorks();
    });

    test('a chunked 2 MB upload over the 1 MB limit: 413 JSON, the backend got at most 1 MB', async () => {
      const path = `/chunked-${runtime}`;
      const r = await upload(agent, golb.port, `/function/count${path}`, Buffer.alloc(2 * MB, 2), true);
      assert.equal(r.status, 413);
      assertErrorBody(r.headers['content-type'] as string, r.body, 'body_too_large', 'count', runtime);
      assert.ok((received.get(path) ?? 0) <= MB, `backend received ${received.get(path)} bytes`);
      await nextRequestWorks();
    });

    test('a 512 KB upload under the limit passes, with and without Content-Length', async () => {
      for (const chunked of [false, true]) {
        const path = `/small-${chunked}-${runtime}`;
        const r = await upload(agent, golb.port, `/function/count${path}`, Buffer.alloc(512 * KB, 3), chunked);
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(JSON.parse(r.body), { length: 512 * KB });
      }
    });

    test('a backend that answers before reading the upload: the client gets that answer and can go on', async () => {
      for (const chunked of [false, true]) {
        const r = await upload(agent, golb.port, `/function/count/early-${chunked}`, Buffer.alloc(900 * KB, 4), chunked);
        assert.equal(r.status, 403);
        assert.equal(r.body, 'no thanks');
        await nextRequestWorks();
      }
    });

    test('nothing listening at the backend: 502 upstream_failed', async () => {
      const r = await fetch(`${golb.url}/function/dead/x`);
      assert.equal(r.status, 502);
      assertErrorBody(r.headers.get('content-type') ?? undefined, await r.text(), 'upstream_failed', 'dead', runtime);
    });

    test('a backend slower than the 1 s response timeout: 504 upstream_timeout', async () => {
      const t0 = Date.now();
      const r = await fetch(`${golb.url}/function/special/slow`);
      assert.equal(r.status, 504);
      assertErrorBody(r.headers.get('content-type') ?? undefined, await r.text(), 'upstream_timeout', 'special', runtime);
      assert.ok(Date.now() - t0 < 2400, 'answered at the timeout, not when the backend finally did');
    });

    test('every backend drained (weight 0): 503 no_backend', async () => {
      const before = echo.seen.length;
      const r = await fetch(`${golb.url}/function/drained/x`);
      assert.equal(r.status, 503);
      assertErrorBody(r.headers.get('content-type') ?? undefined, await r.text(), 'no_backend', 'drained', runtime);
      assert.equal(echo.seen.length, before, 'a drained backend gets nothing');
    });
  });
}
