/**
 * Hostile peers on each runtime, over raw TCP: clients sending ambiguous or
 * malformed framing (RFC 9112 §6.1 and §11.2, request smuggling) never get a
 * 2xx for it and never smuggle a second request to the backend; upstreams sending cut,
 * overlong or malformed responses never hand the client a clean response with
 * wrong bytes, and never poison the next response. HEAD, 204 and 304 keep the
 * client connection usable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess, type Runtime } from '../support/harness.ts';
import { RawClient, startScriptedUpstream, type RawResponse, type ScriptedUpstream } from '../support/raw-http.ts';

const SMUGGLED = 'GET /function/echo/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n';
const POISON = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nPOISON';

/** What the scripted upstream answers, by the path it receives. */
const ANSWERS: Record<string, string> = {
  '/plain': 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nplain-ok',
  // Content-Length 8, then a whole second response in the same write.
  '/extra': `HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678${POISON}`,
  // Both framings; TE wins (RFC 9112 §6.3), the rest is a smuggled response.
  '/te-cl': `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n5\r\nhello\r\n0\r\n\r\n${POISON}`,
  // Head, a good chunk and a bad chunk size in one write: golb reads them at once.
  '/bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\ngarbage\r\n0\r\n\r\n',
  '/head': 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: application/octet-stream\r\n\r\n',
  '/no-content': 'HTTP/1.1 204 No Content\r\nX-Kind: empty\r\n\r\n',
  '/not-modified': 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n',
};

/**
 * Hostile client requests: each is refused, and the bytes after it are a
 * smuggling attempt. golb's own server (app/server/request-parser.ts) decides
 * these before any route sees a request, the same on every runtime: `expect`
 * is the answer (then the connection closes), 400 unless given.
 */
const HOSTILE: { name: string; path: string; bytes: string; expect?: number }[] = [
  { name: 'two different Content-Lengths', path: '/dup-cl', bytes: `POST /function/echo/dup-cl HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nContent-Length: ${5 + SMUGGLED.length}\r\n\r\nhello${SMUGGLED}` },
  { name: 'Content-Length then Transfer-Encoding: chunked', path: '/cl-te', bytes: `POST /function/echo/cl-te HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'Transfer-Encoding: chunked then Content-Length', path: '/te-cl', bytes: `POST /function/echo/te-cl HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'Transfer-Encoding: chunked, identity', path: '/te-identity', bytes: `POST /function/echo/te-identity HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'a chunk size with no hex digit', path: '/bad-chunk', bytes: `POST /function/echo/bad-chunk HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${SMUGGLED}` },
  { name: 'obs-fold before Content-Length', path: '/obs-fold', bytes: `POST /function/echo/obs-fold HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}` },
  { name: 'a 64 KB header', path: '/big-header', bytes: `GET /function/echo/big-header HTTP/1.1\r\nHost: gw\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n${SMUGGLED}`, expect: 431 },
];

/** Reads what a connection answers: every response until it closes or goes quiet. */
async function answers(c: RawClient, timeoutMs: number): Promise<RawResponse[]> {
  const out: RawResponse[] = [];
  for (;;) {
    const r = await c.response({ timeoutMs }).catch(() => undefined); // malformed bytes: nothing usable
    if (r === undefined) return out;
    out.push(r);
    if (!r.complete) return out;
  }
}

let echo: Backend;
let up: ScriptedUpstream;

before(async () => {
  echo = await startBackend();
  up = await startScriptedUpstream((req, socket) => {
    const path = req.target;
    if (path === '/truncated') {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'); // 10 of 100 bytes, then FIN
      return;
    }
    if (path === '/close-framed') {
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-close'); // no length: the body ends with the connection
      return;
    }
    if (path === '/bad-chunk-later') {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => socket.write('zz\r\ngarbage\r\n0\r\n\r\n'), 100);
      return;
    }
    socket.write(ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
});

after(async () => {
  await Promise.all([echo.close(), up.close()]);
});

for (const runtime of RUNTIMES) {
  describe(`hostile peers on ${runtime}`, () => {
    let golb: GolbProcess;
    /** A fresh raw connection to golb, closed after the test. */
    let open: RawClient[] = [];
    const connect = async () => {
      const c = await RawClient.connect(golb.port);
      open.push(c);
      return c;
    };
    const get = (path: string, method = 'GET') => `${method} /function/up${path} HTTP/1.1\r\nHost: gw\r\n\r\n`;

    before(async () => {
      golb = await startGolb(runtime, {
        weights: { echo: { ips: [echo.address], weights: [1] }, up: { ips: [up.address], weights: [1] } },
        env: { eb_go_lb_client_idle_timeout: '2' },
      });
    });
    after(async () => {
      for (const c of open) c.close();
      open = [];
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
    });

    for (const h of HOSTILE) {
      test(`client sends ${h.name}: refused, nothing smuggled`, async () => {
        const c = await connect();
        c.write(h.bytes);
        const got = await answers(c, 1500);
        // The property every runtime must hold: no 2xx, at most one answer, nothing smuggled.
        for (const r of got) assert.ok(r.status >= 400 && r.status < 500, `${h.name}: answered ${r.status}`);
        assert.ok(got.length <= 1, `one answer at most, got ${got.map((r) => r.status).join(', ')}`);
        assert.equal(echo.seen.some((s) => s.url === '/smuggled'), false, 'the smuggled request never reached the backend');
        // And the exact outcome, the same on every runtime.
        assert.deepEqual(got.map((r) => r.status), [h.expect ?? 400]);
        assert.ok(await c.waitClosed(1000), 'the connection is closed: nothing after the bad request is parsed');
        assert.equal(echo.seen.some((s) => s.url === h.path), false, 'the bad request never reached the backend whole');
      });
    }

    test('client sends GET with a body: 400 JSON from golb, the backend is not contacted', async () => {
      const c = await connect();
      c.write('GET /function/echo/get-body HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nq=1');
      const r = await c.response();
      assert.equal(r?.status, 400);
      assert.equal(JSON.parse(r.body.toString()).error, 'bad_request');
      assert.equal(echo.seen.some((s) => s.url === '/get-body'), false);
      // The body was framed and skipped: the next request on the connection is read as one.
      c.write('GET /function/echo/after-get-body HTTP/1.1\r\nHost: gw\r\n\r\n');
      const next = await c.response();
      assert.equal(next?.status, 200);
      assert.equal(JSON.parse(next.body.toString()).url, '/after-get-body');
    });

    test('upstream cuts its body short (Content-Length 100, sends 10): the client sees an incomplete response', async () => {
      const c = await connect();
      c.write(get('/truncated'));
      const r = await c.response({ timeoutMs: 3000 });
      assert.ok(r !== undefined, 'a response head');
      assert.equal(r.status, 200, 'the head had gone out before the upstream closed');
      assert.equal(r.complete, false, `never a clean end: got ${r.framing} framing, ${r.body.length} bytes`);
      assert.ok(await c.waitClosed(1000), 'the client connection is closed so the client notices');
    });

    test('upstream sends bytes after Content-Length: exact body, and they never prefix the next response', async () => {
      const c = await connect();
      c.write(get('/extra'));
      const r1 = await c.response();
      assert.ok(r1?.complete);
      assert.equal(r1.status, 200);
      assert.equal(r1.body.toString(), '12345678');
      c.write(get('/plain'));
      const r2 = await c.response();
      assert.ok(r2?.complete);
      assert.equal(r2.body.toString(), 'plain-ok');
      assert.equal(c.pending, '', 'nothing else on the connection');
    });

    test('upstream sends Transfer-Encoding: chunked and Content-Length: 502 or the chunked body, never the smuggled bytes', async () => {
      const c = await connect();
      c.write(get('/te-cl'));
      const r1 = await c.response();
      assert.ok(r1?.complete, 'a complete response');
      if (r1.status !== 502) {
        assert.equal(r1.status, 200);
        assert.equal(r1.body.toString(), 'hello');
      }
      c.write(get('/plain'));
      const r2 = await c.response();
      assert.ok(r2?.complete);
      assert.equal(r2.body.toString(), 'plain-ok');
    });

    test('upstream sends a bad chunk size with its head: 502 JSON', async () => {
      const c = await connect();
      c.write(get('/bad-chunk'));
      const r = await c.response({ timeoutMs: 3000 });
      assert.ok(r?.complete, 'a complete response');
      assert.equal(r.status, 502);
      assert.equal(JSON.parse(r.body.toString()).error, 'upstream_failed');
    });

    test('upstream sends a bad chunk size after the head went out: an incomplete body, never a clean one with garbage', async () => {
      const c = await connect();
      c.write(get('/bad-chunk-later'));
      const r = await c.response({ timeoutMs: 3000 });
      assert.ok(r !== undefined, 'a response head');
      assert.equal(r.status, 200);
      assert.equal(r.complete, false, `got a complete body ${JSON.stringify(r.body.toString())}`);
      assert.doesNotMatch(r.body.toString(), /garbage/);
      assert.ok(await c.waitClosed(1000), 'the client connection is closed so the client notices');
    });

    test('HEAD with Content-Length: 1234 arrives without a body; the connection stays usable', async () => {
      const c = await connect();
      c.write(get('/head', 'HEAD'));
      const r1 = await c.response({ head: true });
      assert.equal(r1?.status, 200);
      assert.equal(r1.get('content-type'), 'application/octet-stream');
      assert.equal(r1.get('content-length'), '1234', 'HEAD reports the length a GET would have');
      c.write(get('/plain'));
      const r2 = await c.response();
      assert.ok(r2?.complete, 'the next response parses: no body bytes followed the HEAD response');
      assert.equal(r2.status, 200);
      assert.equal(r2.body.toString(), 'plain-ok');
    });

    test('two pipelined requests in one write get their answers in order', async () => {
      const c = await connect();
      c.write(get('/plain') + get('/no-content') + get('/plain'));
      const got = [await c.response(), await c.response(), await c.response()];
      assert.deepEqual(got.map((r) => r?.status), [200, 204, 200]);
      assert.equal(got[0]!.body.toString(), 'plain-ok');
      assert.equal(got[2]!.body.toString(), 'plain-ok');
    });

    test('a Host no URL can be made of, on a path Hono serves: 400 JSON, no 500', async () => {
      const c = await connect();
      c.write('GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n');
      const r = await c.response();
      assert.equal(r?.status, 400);
      assert.equal(JSON.parse(r.body.toString()).error, 'bad_request');
    });

    test('HTTP/1.0 without keep-alive: one answer, then the connection closes', async () => {
      const c = await connect();
      c.write('GET /function/up/plain HTTP/1.0\r\n\r\n');
      const r = await c.response();
      assert.equal(r?.status, 200);
      assert.equal(r.body.toString(), 'plain-ok');
      assert.ok(await c.waitClosed(1000), 'closed after the answer');
    });

    test('a body the upstream ends by closing reaches an HTTP/1.1 client chunked; the connection stays usable', async () => {
      const c = await connect();
      c.write(get('/close-framed'));
      const r = await c.response();
      assert.ok(r?.complete);
      assert.equal(r.get('transfer-encoding'), 'chunked');
      assert.equal(r.body.toString(), 'until-close');
      c.write(get('/plain'));
      assert.equal((await c.response())?.body.toString(), 'plain-ok');
    });

    test('a request head that never ends is cut off after the client idle timeout (2 s)', { timeout: 10_000 }, async () => {
      const c = await connect();
      c.write('GET /function/up/plain HTTP/1.1\r\nHost: gw\r\nX-Slow: ');
      const slow = setInterval(() => c.write('a'), 500); // a byte now and then does not keep it open
      try {
        assert.ok(await c.waitClosed(6000), 'the connection is closed');
      } finally {
        clearInterval(slow);
      }
    });

    test('204 and 304 pass through without a body; the connection stays usable', async () => {
      const c = await connect();
      c.write(get('/no-content'));
      const r1 = await c.response();
      assert.equal(r1?.status, 204);
      assert.equal(r1.get('x-kind'), 'empty');
      c.write(get('/not-modified'));
      const r2 = await c.response();
      assert.equal(r2?.status, 304);
      assert.equal(r2.get('etag'), '"v1"');
      c.write(get('/plain'));
      const r3 = await c.response();
      assert.ok(r3?.complete);
      assert.equal(r3.body.toString(), 'plain-ok');
    });
  });
}
