/**
 * The engine against raw loopback upstreams (node:net servers writing exact
 * bytes), on the `node:net` transport: every response body ends — read with
 * the head or streamed after it —, connections are reused after a complete
 * response and dropped otherwise, a stale pooled socket is retried once for a
 * request without a body, and the response timeout fires on a silent
 * upstream and on a head that drips in, but not on an upstream whose body the
 * client has not read yet.
 * (The Bun transport runs the e2e suites on Bun.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Http1Client } from '../../../app/proxy/http1-client.ts';
import { nodeTransport } from '../../../app/net/node-transport.ts';
import { UpstreamError, type ResponseBody, type UpstreamRequest } from '../../../app/proxy/engine.ts';
import { textHeaderLines } from '../../../app/proxy/forward-headers.ts';
import { SYSTEM_TIMERS } from '../../../app/timers.ts';

const servers: Server[] = [];
const clients: Http1Client[] = [];
after(() => {
  for (const c of clients) c.close();
  for (const s of servers) s.close();
});

function client(responseTimeoutMs = 10_000, stallTimeoutMs?: number): Http1Client {
  const c = new Http1Client({ connectTimeoutMs: 2_000, responseTimeoutMs, idleTimeoutMs: 5_000, maxIdlePerUpstream: 4, stallTimeoutMs, timer: SYSTEM_TIMERS }, nodeTransport);
  clients.push(c);
  return c;
}

/**
 * An upstream that calls `answer(socket, requestIndexOnThisConnection)` for
 * every request head it reads; counts connections.
 */
async function upstream(answer: (socket: Socket, n: number) => void): Promise<{ port: number; connections: () => number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    let buffered = '';
    let n = 0;
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        buffered = buffered.slice(end + 4);
        answer(socket, n++);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, connections: () => sockets.length, sockets };
}

function get(port: number, extra: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: 'GET',
    target: '/x',
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    headers: textHeaderLines(''),
    body: null,
    bodyLength: undefined,
    maxBodySize: 1 << 20,
    signal: undefined,
    ...extra,
  };
}

async function text(body: ResponseBody | null): Promise<string> {
  if (body === null) return '';
  return new Response(body.stream()).text();
}

test('a body read with its head ends, and the connection is reused', async () => {
  const up = await upstream((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
  const c = client();
  for (let i = 0; i < 3; i++) {
    const res = await c.request(get(up.port));
    assert.equal(res.status, 200);
    assert.equal(await text(res.body), 'hello');
  }
  assert.equal(up.connections(), 1);
});

test('a body streamed after its head ends; chunked and split anywhere', async () => {
  const up = await upstream((s) => {
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
    setTimeout(() => s.write('lo\r\n'), 20);
    setTimeout(() => s.write('6\r\n world\r\n0\r\n\r\n'), 40);
  });
  const c = client();
  for (let i = 0; i < 2; i++) assert.equal(await text((await c.request(get(up.port))).body), 'hello world');
  assert.equal(up.connections(), 1);
});

test('no body for HEAD and 204; the connection stays usable', async () => {
  const up = await upstream((s, n) => s.write(n === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' : 'HTTP/1.1 204 No Content\r\n\r\n'));
  const c = client();
  const head = await c.request(get(up.port, { method: 'HEAD' }));
  assert.equal(head.body, null);
  const empty = await c.request(get(up.port));
  assert.equal(empty.status, 204);
  assert.equal(empty.body, null);
  assert.equal(up.connections(), 1);
});

test('Connection: close and bytes after the body are not reused', async () => {
  const up = await upstream((s, n) => s.write(n === 0 ? 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'));
  const c = client();
  assert.equal(await text((await c.request(get(up.port))).body), 'ok');
  assert.equal(await text((await c.request(get(up.port))).body), 'ok');
  assert.equal(await text((await c.request(get(up.port))).body), 'ok');
  assert.equal(up.connections(), 3);
});

test('a pooled socket the upstream closed while idle: a GET is sent again on a fresh one', async () => {
  const up = await upstream((s, n) => {
    if (n === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const c = client();
  assert.equal(await text((await c.request(get(up.port))).body), 'ok');
  // The upstream resets the idle connection only when the next request arrives: the keep-alive race.
  up.sockets[0]!.removeAllListeners('data');
  up.sockets[0]!.on('data', () => up.sockets[0]!.resetAndDestroy());
  const res = await c.request(get(up.port));
  assert.equal(await text(res.body), 'ok');
  assert.equal(up.connections(), 2);
});

test('a POST on a stale pooled socket is not sent again, with a body or without: the caller gets the reset', async (t) => {
  const cases: [string, Partial<UpstreamRequest>][] = [
    ['with a body', { method: 'POST', body: new Response('payload').body!, bodyLength: 7 }],
    ['without a body: it may have been acted on', { method: 'POST' }],
  ];
  for (const [name, extra] of cases) {
    await t.test(name, async () => {
      const up = await upstream((s, n) => {
        if (n === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
      const c = client();
      await text((await c.request(get(up.port))).body);
      up.sockets[0]!.removeAllListeners('data');
      up.sockets[0]!.on('data', () => up.sockets[0]!.resetAndDestroy());
      await assert.rejects(c.request(get(up.port, extra)), (err: unknown) => err instanceof UpstreamError && err.failure === 'reset');
      assert.equal(up.connections(), 1);
    });
  }
});

test('an empty chunked body counts as sent once its terminator is written', async () => {
  // The head ends in a blank line (answer n = 0), the empty body's terminator `0` CRLF CRLF too (n = 1).
  const up = await upstream((s, n) => {
    if (n === 1) s.resetAndDestroy();
  });
  const c = client();
  const empty = new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
  await assert.rejects(
    c.request(get(up.port, { method: 'POST', body: empty, bodyLength: undefined })),
    (err: unknown) => err instanceof UpstreamError && err.failure === 'reset' && err.bodySent,
  );
});

test('a reused socket the upstream closed (FIN) before answering: a GET goes out again on a fresh one', async () => {
  const up = await upstream((s, n) => {
    if (n === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else s.end();
  });
  const c = client();
  assert.equal(await text((await c.request(get(up.port))).body), 'ok');
  assert.equal(await text((await c.request(get(up.port))).body), 'ok');
  assert.equal(up.connections(), 2);
});

test('an upstream that answers before taking the whole body: the rest is not sent, the connection is dropped', async () => {
  let upstreamSocket: Socket | undefined;
  const up = await upstream((s, n) => {
    if (n !== 0) return;
    upstreamSocket = s;
    s.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n');
    s.pause(); // reads nothing more for now: the body backs up
  });
  const c = client(60_000);
  const mib = new Uint8Array(1 << 20);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({ pull: (ctl) => (pulled++ < 16 ? ctl.enqueue(mib) : ctl.close()) });
  const res = await c.request(get(up.port, { method: 'POST', body, bodyLength: 16 << 20, maxBodySize: 32 << 20 }));
  assert.equal(res.status, 413);
  await text(res.body);
  // Let the upstream read again: it gets what was already on the wire, then the close.
  let received = 0;
  const s = upstreamSocket!;
  s.removeAllListeners('data');
  s.on('data', (d: Buffer) => (received += d.length));
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.resume();
  await closed;
  assert.ok(received < 15 << 20, `the rest of the body was not sent (upstream read ${received} more bytes)`);
});

test('header values go out byte for byte (latin1 strings), not UTF-8 encoded twice', async () => {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on('data', (d) => {
      received.push(d);
      if (Buffer.concat(received).includes('\r\n\r\n')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  // What servers hand over for the bytes `caf` C3 A9 (UTF-8 "café"): one character per byte.
  const res = await client().request(get(port, { headers: textHeaderLines('x-utf8: caf\u00c3\u00a9\r\n') }));
  assert.equal(res.status, 204);
  const head = Buffer.concat(received);
  assert.ok(head.includes(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0d, 0x0a])), head.toString('latin1'));
});

test('a client that reads nothing of a response past the stall limit gives up the upstream connection', async () => {
  let upstreamSocket: Socket | undefined;
  const up = await upstream((s) => {
    upstreamSocket = s;
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
    const more = () => {
      while (!s.destroyed && s.write(chunk));
      if (!s.destroyed) s.once('drain', more);
    };
    more();
  });
  const res = await client(60_000, 200).request(get(up.port));
  assert.equal(res.status, 200);
  // Nobody reads the body. Within the limit's order of magnitude the upstream socket closes;
  // the 10 s bound only keeps a regression from hanging the suite.
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    upstreamSocket!.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  assert.ok(closed, 'the stalled exchange was abandoned and its connection closed');
  await assert.rejects(text(res.body));
});

test('a silent upstream times out; one whose body waits for the client does not', async () => {
  const silent = await upstream(() => undefined);
  const c = client(300);
  await assert.rejects(c.request(get(silent.port)), (err: unknown) => err instanceof UpstreamError && err.failure === 'timeout');

  // 4 MiB the client reads only after a pause longer than the timeout: the
  // paused upstream socket waits for the client, it is not silent.
  const size = 4 * 1024 * 1024;
  const big = await upstream((s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    s.write(Buffer.alloc(size, 97));
  });
  const res = await c.request(get(big.port));
  await new Promise((r) => setTimeout(r, 900));
  const bytes = (await new Response(res.body?.stream()).arrayBuffer()).byteLength;
  assert.equal(bytes, size);
});

test('a response head that drips in, or 1xx after 1xx, times out: the head has the timeout from the request', { timeout: 10_000 }, async () => {
  // Each writes more often than the timeout, until the socket closes.
  const every = (s: Socket, ms: number, bytes: string) => {
    const timer = setInterval(() => s.write(bytes), ms);
    s.on('close', () => clearInterval(timer));
  };
  const drip = await upstream((s) => {
    s.write('HTTP/1.1 200 OK\r\nX-Slow: ');
    every(s, 60, 'a');
  });
  const processing = await upstream((s) => every(s, 60, 'HTTP/1.1 102 Processing\r\n\r\n'));
  const c = client(300);
  for (const up of [drip, processing]) {
    await assert.rejects(c.request(get(up.port)), (err: unknown) => err instanceof UpstreamError && err.failure === 'timeout' && err.responseStarted);
  }
});

test('a request body is streamed with Content-Length, and chunked when its length is unknown', async () => {
  const seen: string[] = [];
  const server = createServer((socket) => {
    let all = '';
    socket.on('data', (d) => {
      all += d.toString('latin1');
      const complete = /content-length: 7\r\n\r\npayload$/i.test(all) || all.endsWith('0\r\n\r\n');
      if (complete) {
        seen.push(all.slice(all.indexOf('\r\n\r\n') + 4));
        all = '';
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const c = client();
  await c.request(get(port, { method: 'POST', body: new Response('payload').body!, bodyLength: 7 }));
  await c.request(get(port, { method: 'POST', body: new Response('payload').body!, bodyLength: undefined }));
  assert.deepEqual(seen, ['payload', '7\r\npayload\r\n0\r\n\r\n']);
});
