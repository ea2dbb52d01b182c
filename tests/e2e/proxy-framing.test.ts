/**
 * Framing and header rules found by a black-box attack, on each runtime over
 * raw TCP, against hostile clients and hostile upstreams in the test process:
 * a repeated Content-Length on a request; a response head dripped a byte at a
 * time or held off by `102 Processing`; a body in 1-byte chunks; methods kept
 * exactly on every path; an upstream's repeated or misplaced Content-Length
 * and control bytes; a client's copies of golb's own trace headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { RawClient, rawExchange, startScriptedUpstream, type ScriptedRequest, type ScriptedUpstream } from '../support/raw-http.ts';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** What the scripted upstream answers at once, by the path it receives. */
const ANSWERS: Record<string, string> = {
  '/two-cl': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok',
  '/cl-204': 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Kind: empty\r\n\r\n',
  '/cl-304': 'HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\nETag: "v1"\r\n\r\n',
  '/ctl-del': 'HTTP/1.1 200 OK\r\nX-Bad: a\x7fb\r\nContent-Length: 2\r\n\r\nok',
  '/ctl-soh': 'HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  '/htab': 'HTTP/1.1 200 OK\r\nX-Tab: a\tb\r\nContent-Length: 2\r\n\r\nok',
};

/** Writes `bytes` every `ms` until `times` writes or the socket closes. */
function drip(socket: Socket, bytes: string, ms: number, times: number): void {
  let n = 0;
  const timer = setInterval(() => {
    if (++n > times || socket.destroyed) clearInterval(timer);
    else socket.write(bytes);
  }, ms);
  socket.on('close', () => clearInterval(timer));
}

/** The upstream's side of a hostile exchange, by path. */
function hostile(req: ScriptedRequest, socket: Socket): void {
  const path = req.target;
  if (path === '/drip-head') {
    // A head that never ends, a byte every 0.7 s: never silent for a second.
    socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
    drip(socket, 'a', 700, 30);
  } else if (path === '/processing') {
    drip(socket, 'HTTP/1.1 102 Processing\r\n\r\n', 200, 100);
  } else socket.write(ANSWERS[path] ?? OK);
}

/** An upstream that reads a chunked request body and answers how it came: `{chunks, bytes}`. */
interface ChunkCounter {
  server: Server;
  address: string;
}

/** Starts a {@link ChunkCounter}: one request per connection, body ending `0\r\n\r\n` (its data must not). */
async function startChunkCounter(): Promise<ChunkCounter> {
  const server = createServer((socket) => {
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const start = text.indexOf('\r\n\r\n') + 4;
      if (start < 4 || !text.endsWith('0\r\n\r\n')) return;
      let chunks = 0;
      let bytes = 0;
      for (let at = start; ; ) {
        const eol = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, eol), 16);
        if (size === 0) break;
        chunks++;
        bytes += size;
        at = eol + 2 + size + 2;
      }
      const body = JSON.stringify({ chunks, bytes });
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let echo: Backend;
let up: ScriptedUpstream;
let counter: ChunkCounter;

before(async () => {
  [echo, up, counter] = await Promise.all([startBackend(), startScriptedUpstream(hostile), startChunkCounter()]);
});

after(async () => {
  await Promise.all([echo.close(), up.close(), new Promise((r) => counter.server.close(r))]);
});

/** The requests the scripted upstream read for `target`. */
const seenAt = (target: string) => up.seen.filter((s) => s.target === target);

/** Every value of header `name` in a request the scripted upstream read. */
const valuesOf = (req: ScriptedRequest, name: string) => req.headers.filter(([n]) => n === name).map(([, v]) => v);

for (const runtime of RUNTIMES) {
  describe(`framing and headers on ${runtime}`, () => {
    let golb: GolbProcess;
    const node = `golb-${runtime}`;

    before(async () => {
      golb = await startGolb(runtime, {
        weights: { echo: { ips: [echo.address], weights: [1] }, up: { ips: [up.address], weights: [1] }, count: { ips: [counter.address], weights: [1] } },
        // The scripted upstream is also fnlb's node pool: every path that is not golb's own goes there.
        args: ['--nodes', up.address],
        env: { eb_go_lb_response_timeout: '1' },
      });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
    });

    test('a repeated Content-Length, even an identical one, is 400 and reaches no backend', async () => {
      const framings = ['Content-Length: 5\r\nContent-Length: 5', 'Content-Length: 5, 5', 'Content-Length: 5\r\ncontent-length: 5'];
      for (const [i, framing] of framings.entries()) {
        for (const [method, path] of [['POST', `/function/echo/dup-cl-${i}`], ['GET', `/function/echo/dup-cl-get-${i}`], ['POST', `/r/app/dup-cl-${i}`]] as const) {
          const r = await rawExchange(golb.port, `${method} ${path} HTTP/1.1\r\nHost: gw\r\n${framing}\r\n\r\nhello`);
          assert.equal(r?.status, 400, `${method} ${path} with ${JSON.stringify(framing)}`);
          assert.equal(JSON.parse(r.body.toString()).error, 'bad_request');
        }
      }
      assert.equal(echo.seen.some((s) => s.url.startsWith('/dup-cl')), false, 'the function backend saw none');
      assert.equal(up.seen.some((s) => s.target.startsWith('/r/app/dup-cl')), false, 'the pool saw none');
    });

    test('a response head dripped a byte every 0.7 s gets 504 after the response timeout (1 s)', { timeout: 30_000 }, async () => {
      const r = await rawExchange(golb.port, 'GET /function/up/drip-head HTTP/1.1\r\nHost: gw\r\n\r\n', { timeoutMs: 15_000 });
      assert.equal(r?.status, 504, 'answered before the drip ends');
      assert.equal(JSON.parse(r.body.toString()).error, 'upstream_timeout');
    });

    test('102 Processing every 200 ms does not hold the response timeout off: 504', { timeout: 30_000 }, async () => {
      const r = await rawExchange(golb.port, 'GET /function/up/processing HTTP/1.1\r\nHost: gw\r\n\r\n', { timeoutMs: 15_000 });
      assert.equal(r?.status, 504, 'answered before the 102s end');
      assert.equal(JSON.parse(r.body.toString()).error, 'upstream_timeout');
    });

    test('a body of 2,000 1-byte chunks in 4 writes goes upstream in a few chunks, whole', async () => {
      const c = await RawClient.connect(golb.port);
      try {
        const body = '1\r\nx\r\n'.repeat(2000) + '0\r\n\r\n';
        const quarter = Math.ceil(body.length / 4);
        c.write(`POST /function/count/ HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n${body.slice(0, quarter)}`);
        for (let at = quarter; at < body.length; at += quarter) c.write(body.slice(at, at + quarter));
        const r = await c.response({ timeoutMs: 10_000 });
        assert.equal(r?.status, 200);
        const got = JSON.parse(r.body.toString()) as { chunks: number; bytes: number };
        assert.equal(got.bytes, 2000);
        // One chunk upstream per read of golb's: about one per client write, never one per client chunk.
        assert.ok(got.chunks <= 40, `${got.chunks} chunks upstream`);
      } finally {
        c.close();
      }
    });

    test('methods pass exactly, case kept, on the function path and the node pool path', async () => {
      for (const method of ['Foo', 'DeLeTe', 'Post', 'PATCH', 'get', 'TRACE', 'TRACK']) {
        const name = `method-${method}-${runtime}`;
        for (const path of [`/function/up/${name}`, `/r/app/${name}`]) {
          const r = await rawExchange(golb.port, `${method} ${path} HTTP/1.1\r\nHost: gw\r\n\r\n`);
          assert.equal(r?.status, 200, `${method} ${path}`);
          const target = path.startsWith('/function/') ? `/${name}` : path;
          assert.deepEqual(seenAt(target).map((s) => s.method), [method], `${method} ${path}`);
        }
      }
      // golb's own routes go by the exact method too: `get` is not GET.
      assert.equal((await rawExchange(golb.port, 'GET /readyz HTTP/1.1\r\nHost: gw\r\n\r\n'))?.status, 200);
      assert.equal((await rawExchange(golb.port, 'get /readyz HTTP/1.1\r\nHost: gw\r\n\r\n'))?.status, 404);
    });

    test('an upstream Content-Length repeated, even identical, is 502 (as Node\'s llhttp refuses it)', async () => {
      const r = await rawExchange(golb.port, 'GET /function/up/two-cl HTTP/1.1\r\nHost: gw\r\n\r\n');
      assert.equal(r?.status, 502);
    });

    test('an upstream Content-Length on a 204 or a 304 does not reach the client; the connection stays usable', async () => {
      const c = await RawClient.connect(golb.port);
      try {
        c.write('GET /function/up/cl-204 HTTP/1.1\r\nHost: gw\r\n\r\n');
        const r1 = await c.response();
        assert.equal(r1?.status, 204);
        assert.equal(r1.get('x-kind'), 'empty');
        assert.deepEqual(r1.all('content-length'), []);
        c.write('GET /function/up/cl-304 HTTP/1.1\r\nHost: gw\r\n\r\n');
        const r2 = await c.response();
        assert.equal(r2?.status, 304);
        assert.equal(r2.get('etag'), '"v1"');
        assert.deepEqual(r2.all('content-length'), []);
        c.write('GET /function/up/plain HTTP/1.1\r\nHost: gw\r\n\r\n');
        assert.equal((await c.response())?.body.toString(), 'ok');
        assert.equal(c.pending, '');
      } finally {
        c.close();
      }
    });

    test('a control byte in an upstream header value (DEL, SOH) is 502; HTAB passes', async () => {
      for (const path of ['/ctl-del', '/ctl-soh']) {
        const r = await rawExchange(golb.port, `GET /function/up${path} HTTP/1.1\r\nHost: gw\r\n\r\n`);
        assert.equal(r?.status, 502, path);
        assert.equal(JSON.parse(r.body.toString()).error, 'upstream_failed');
        assert.doesNotMatch(r.headers.map(([, v]) => v).join(''), /[\x00-\x08\x0a-\x1f\x7f]/);
      }
      const tab = await rawExchange(golb.port, 'GET /function/up/htab HTTP/1.1\r\nHost: gw\r\n\r\n');
      assert.equal(tab?.get('x-tab'), 'a\tb');
    });

    test('a control byte in a client header value (DEL, SOH) is 400', async () => {
      for (const ctl of ['\x7f', '\x01']) {
        const r = await rawExchange(golb.port, `GET /function/up/client-ctl-${runtime} HTTP/1.1\r\nHost: gw\r\nX-Bad: a${ctl}b\r\n\r\n`);
        assert.equal(r?.status, 400, JSON.stringify(ctl));
      }
      assert.deepEqual(seenAt(`/client-ctl-${runtime}`), []);
    });

    test("a client's X-Final-Host and X-Forwarded-Host-* never reach the pod; golb's own do", async () => {
      const spoof = `X-Final-Host: 6.6.6.6:1\r\nX-Forwarded-Host-Evil: 1.0000000\r\nX-Forwarded-Host-${node}: 2.0000000\r\n`;
      for (const [path, target] of [[`/function/up/trace-${runtime}`, `/trace-${runtime}`], [`/r/app/trace-${runtime}`, `/r/app/trace-${runtime}`]] as const) {
        const r = await rawExchange(golb.port, `GET ${path} HTTP/1.1\r\nHost: gw\r\n${spoof}\r\n`);
        assert.equal(r?.status, 200, path);
        const [seen] = seenAt(target);
        assert.ok(seen, path);
        assert.deepEqual(valuesOf(seen, 'x-final-host'), [up.address], path);
        assert.deepEqual(valuesOf(seen, 'x-forwarded-host-evil'), [], path);
        const own = valuesOf(seen, `x-forwarded-host-${node}`);
        assert.equal(own.length, 1, path);
        assert.match(own[0]!, /^\d+\.\d{7}$/);
        assert.notEqual(own[0], '2.0000000');
      }
    });

    test("a request another golb forwarded keeps the earlier hops' X-Forwarded-Host-*, not their X-Final-Host", async () => {
      const r = await rawExchange(
        golb.port,
        `GET /function/up/trace-forwarded-${runtime} HTTP/1.1\r\nHost: gw\r\nX-Golb-Forwarded-By: gw-z\r\nVia: 1.1 gw-z\r\n` +
          `X-Forwarded-Host-gw-z: 1.0000000\r\nX-Final-Host: 127.0.0.1:${golb.port}\r\nX-Forwarded-Host-${node}: 2.0000000\r\n\r\n`,
      );
      assert.equal(r?.status, 200);
      const [seen] = seenAt(`/trace-forwarded-${runtime}`);
      assert.ok(seen);
      assert.deepEqual(valuesOf(seen, 'x-forwarded-host-gw-z'), ['1.0000000'], "the earlier hop's timestamp stays");
      assert.deepEqual(valuesOf(seen, 'x-final-host'), [up.address], 'X-Final-Host names the last hop only');
      assert.equal(valuesOf(seen, `x-forwarded-host-${node}`).length, 1);
      assert.notEqual(valuesOf(seen, `x-forwarded-host-${node}`)[0], '2.0000000');
    });
  });
}
