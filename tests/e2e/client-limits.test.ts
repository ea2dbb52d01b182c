/**
 * What a client can make golb hold is bounded, on Bun, Deno and Node: a flood
 * of pipelined requests (read back or not), a Host that tries to move the
 * route, and a request body sent slowly (it never reaches a pod, and gets 408).
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RUNTIMES, startGolb, type GolbProcess } from '../support/harness.ts';
import { RawClient, startScriptedUpstream, type ScriptedUpstream } from '../support/raw-http.ts';
import { rssBytes } from '../support/process-figures.ts';

const MB = 1024 * 1024;


/**
 * Pipelines `request` on one connection as fast as golb takes it for `ms`;
 * `read` says whether the client reads the answers. Resolves with the bytes
 * golb took in: what the client wrote, less what the kernel still holds on
 * either side.
 */
function flood(port: number, request: string, ms: number, read: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const block = Buffer.from(request.repeat(Math.ceil(16_384 / request.length)));
    let stop = false;
    s.on('error', () => undefined);
    if (read) s.on('data', () => undefined);
    else s.pause();
    const pump = (): void => {
      while (!stop && s.write(block));
    };
    s.once('connect', () => {
      s.off('error', reject); // from now on golb may cut the connection (a client that reads nothing is given up)
      pump();
      s.on('drain', pump);
      setTimeout(() => {
        stop = true;
        const taken = s.bytesWritten - s.writableLength - kernelQueued(s.localPort!);
        s.destroy();
        resolve(taken);
      }, ms);
    });
    s.once('error', reject);
  });
}

/**
 * Bytes the kernel holds of the loopback connection whose client side has
 * local port `port`: the client's send queue and the server's receive queue
 * (`/proc/net/tcp`, Linux: `tx_queue:rx_queue`, in hex).
 */
function kernelQueued(port: number): number {
  let queued = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const local = parseInt(f[1]!.split(':')[1]!, 16);
    const remote = parseInt(f[2]!.split(':')[1]!, 16);
    const [tx, rx] = f[4]!.split(':').map((h) => parseInt(h, 16));
    if (local === port) queued += tx!; // the client's unsent bytes
    else if (remote === port) queued += rx!; // golb's unread bytes
  }
  return queued;
}

/** A pod that only counts the connections it gets and never answers. */
async function countingPod(): Promise<{ server: Server; address: string; connections: () => number; bytes: () => number }> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('data', (d) => (bytes += d.length));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, address, connections: () => connections, bytes: () => bytes };
}

let slow: ScriptedUpstream;
let big: ScriptedUpstream;
let echo: ScriptedUpstream;
let pod: Awaited<ReturnType<typeof countingPod>>;

before(async () => {
  // Answers each request after a timer: the client sends far faster than it is answered.
  slow = await startScriptedUpstream((_req, socket) => {
    setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 1);
  });
  const body = 'x'.repeat(16 * 1024);
  big = await startScriptedUpstream((_req, socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
  echo = await startScriptedUpstream((req, socket) => {
    const text = `${req.method} ${req.target}`;
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  });
  pod = await countingPod();
});

after(async () => {
  await Promise.all([slow.close(), big.close(), echo.close(), new Promise((r) => pod.server.close(r))]);
});

for (const runtime of RUNTIMES) {
  describe(`client limits on ${runtime}`, () => {
    let golb: GolbProcess;
    let open: RawClient[] = [];
    const client = async () => {
      const c = await RawClient.connect(golb.port);
      open.push(c);
      return c;
    };

    before(async () => {
      golb = await startGolb(runtime, {
        weights: {
          slow: { ips: [slow.address], weights: [1] },
          big: { ips: [big.address], weights: [1] },
          echo: { ips: [echo.address], weights: [1] },
          pod: { ips: [pod.address], weights: [1] },
        },
        env: { eb_go_lb_client_idle_timeout: '2', eb_go_lb_client_body_timeout: '1' },
      });
    });
    after(async () => {
      for (const c of open) c.close();
      open = [];
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
    });

    test('a pipelined flood to a slow pod, answers read: golb holds at most a little of it', { timeout: 30_000 }, async (t) => {
      const request = 'GET /function/slow/p HTTP/1.1\r\nHost: gw\r\n\r\n';
      await flood(golb.port, request, 500, true); // warm up: first allocations are not growth
      const before = rssBytes(golb.proc.pid!);
      const taken = await flood(golb.port, request, 3000, true);
      const grown = rssBytes(golb.proc.pid!) - before;
      t.diagnostic(`golb took ${(taken / MB).toFixed(2)} MB of requests in, RSS grew ${(grown / MB).toFixed(1)} MB`);
      assert.ok(grown < 32 * MB, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
      // The answered requests (a few hundred KB in 3 s) plus its 64 KiB window and a read.
      assert.ok(taken < 2 * MB, `golb took ${(taken / MB).toFixed(1)} MB of requests in`);
    });

    test('a pipelined flood of 16 KB answers the client never reads: golb stops reading it', { timeout: 30_000 }, async (t) => {
      const request = 'GET /function/big/p HTTP/1.1\r\nHost: gw\r\n\r\n';
      const before = rssBytes(golb.proc.pid!);
      // 1.5 s: within the 2 s after which golb gives up a client that reads nothing (the kernel's queues go with it).
      const taken = await flood(golb.port, request, 1500, false);
      const grown = rssBytes(golb.proc.pid!) - before;
      t.diagnostic(`golb took ${(taken / MB).toFixed(2)} MB of requests in, RSS grew ${(grown / MB).toFixed(1)} MB`);
      assert.ok(grown < 32 * MB, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
      assert.ok(taken < 2 * MB, `golb took ${(taken / MB).toFixed(1)} MB of requests in`);
      // golb is fine afterwards.
      const c = await client();
      c.write('GET /function/echo/after HTTP/1.1\r\nHost: gw\r\n\r\n');
      assert.equal((await c.response())?.status, 200);
    });

    const badHosts = ['a/metrics?', 'x/function/echo/viaHost?', 'a#b', 'user@a', 'a:99999', 'a:8x', '[::1', 'a\\b'];
    for (const host of badHosts) {
      test(`Host: ${host} is 400 JSON, on golb's paths and the others alike, and reaches no pod`, async () => {
        const seen = echo.seen.length;
        for (const path of ['/static/logo.png', '/function/echo/x', '/healthz']) {
          const c = await client();
          c.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
          const r = await c.response();
          assert.equal(r?.status, 400, `${path}`);
          assert.equal(JSON.parse(r.body.toString()).error, 'bad_request');
        }
        assert.equal(echo.seen.length, seen, 'no request reached the pod');
      });
    }

    test('good hosts route by the target only: names, IPv4, IPv6 literals, ports, sub-delims', async () => {
      for (const host of ['gw', 'gw:8080', '10.0.0.1:80', '[::1]:8080', '[2001:db8::1]', 'a_b.example', '']) {
        const c = await client();
        c.write(`GET /function/echo/p?q=1 HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        const r = await c.response();
        assert.equal(r?.status, 200, host);
        assert.equal(r.body.toString(), 'GET /p?q=1', host);
      }
    });

    test('a path the URL parser would resolve elsewhere (dot segments, backslashes) is 400, never another route', async () => {
      const seen = echo.seen.length;
      for (const target of ['/x/../metrics', '/x/%2e%2e/metrics', '/.%2E/metrics', '/x\\..\\metrics', '/%2e%2e\\1/lb/stats', '/x/%2e%2e/healthz', '/x/../function/echo/p']) {
        const c = await client();
        c.write(`GET ${target} HTTP/1.1\r\nHost: gw\r\n\r\n`);
        const r = await c.response();
        assert.equal(r?.status, 400, target);
        assert.equal(JSON.parse(r.body.toString()).error, 'bad_request', target);
      }
      assert.equal(echo.seen.length, seen, 'no request reached the pod');
    });

    test('absolute-form: its own authority must be host[:port]; the route is its path', async () => {
      const ok = await client();
      ok.write('GET http://gw:8080/function/echo/abs HTTP/1.1\r\nHost: other\r\n\r\n');
      assert.equal((await ok.response())?.body.toString(), 'GET /abs');
      const bad = await client();
      bad.write('GET http://user@gw/function/echo/abs HTTP/1.1\r\nHost: gw\r\n\r\n');
      assert.equal((await bad.response())?.status, 400);
    });

    test('a trickled request body never reaches the pod, and gets 408 once it stalls', { timeout: 15_000 }, async () => {
      const before = pod.connections();
      const c = await client();
      c.write('POST /function/pod/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n');
      // A byte every 300 ms is progress: no 408 yet, and nothing goes to the pod while the body is short of 64 KiB.
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 300));
        c.write('x');
      }
      assert.equal(c.closed, false, 'progress keeps the connection');
      assert.equal(pod.connections(), before, 'the pod was not contacted while the body trickled');
      const r = await c.response({ timeoutMs: 5000 }); // then silence: the 1 s body timeout
      assert.equal(r?.status, 408);
      assert.equal(JSON.parse(r.body.toString()).error, 'request_timeout');
      assert.ok(await c.waitClosed(2000), 'the connection is closed after the 408');
      assert.equal(pod.connections(), before, 'the pod never got the request');
    });

    test('a long body that stalls mid-stream: 408 to the client, the pod connection is given up', { timeout: 15_000 }, async () => {
      const before = pod.connections();
      const c = await client();
      c.write(`POST /function/pod/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: ${MB}\r\n\r\n`);
      c.write(Buffer.alloc(128 * 1024, 1)); // past the 64 KiB buffer: it streams to the pod
      const deadline = Date.now() + 5000;
      while (pod.connections() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(pod.connections(), before + 1, 'the long body streams to the pod');
      const r = await c.response({ timeoutMs: 5000 });
      assert.equal(r?.status, 408);
      assert.ok(await c.waitClosed(2000));
    });

    test('what the server refused is counted per listener and error; a stalled upload is not blamed on its pod', async () => {
      // /metrics is built at most once a second: wait for a scrape that saw the earlier tests' refusals.
      const deadline = Date.now() + 5000;
      let text = '';
      for (;;) {
        const c = await client();
        c.write('GET /metrics HTTP/1.1\r\nHost: gw\r\n\r\n');
        text = (await c.response())?.body.toString() ?? '';
        if (/golb_requests_refused_total\{listener="traffic",error="request_timeout"\} [2-9]/.test(text) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const sample = (name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      assert.ok(sample('golb_requests_refused_total{listener="traffic",error="bad_request"}') >= badHosts.length * 3, 'every bad Host counted');
      assert.ok(sample('golb_requests_refused_total{listener="traffic",error="request_timeout"}') >= 2, 'the 408s counted');
      assert.equal(sample('golb_rejected_total{function="pod",error="upstream_failed"}'), 0, 'the pod is not blamed');
      assert.equal(sample('golb_rejected_total{function="pod",error="client_closed"}'), 1, 'the stalled upload counts as the client\'s');
    });

    test('a request head dripped a byte at a time is cut at the head deadline with 408', { timeout: 15_000 }, async () => {
      const c = await client();
      c.write('GET /function/echo/drip HTTP/1.1\r\nHost: gw\r\nX-Drip: ');
      const drip = setInterval(() => c.write('a'), 200);
      try {
        const r = await c.response({ timeoutMs: 6000 });
        assert.equal(r?.status, 408);
        assert.ok(await c.waitClosed(2000));
      } finally {
        clearInterval(drip);
      }
    });
  });
}
