/**
 * Retries and passive health end to end on each runtime: a refusing pod, a pod
 * killed under load, and a pod that resets after reading a body. Idempotent
 * requests never fail while another pod can answer; a POST whose body reached
 * a backend is never sent again; a POST whose connection was refused is sent
 * whole to the next pod.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { freePort, RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';

/** A raw TCP pod: `onRequest` gets each request (head and whole Content-Length body) with its socket. */
async function startRawPod(onRequest: (socket: Socket, bodyLength: number) => void): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      if (buf.length - end - 4 < length) return;
      buf = Buffer.alloc(0);
      onRequest(socket, length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * A pod that reads one request with its whole Content-Length body, and then
 * resets the connection without answering (`reset`) or never answers (`hang`).
 */
async function startBadPod(mode: 'reset' | 'hang'): Promise<{ address: string; bodies: number[]; close(): Promise<void> }> {
  const bodies: number[] = [];
  const pod = await startRawPod((socket, length) => {
    bodies.push(length);
    if (mode === 'reset') socket.resetAndDestroy();
  });
  return { ...pod, bodies };
}

/** A pod that resets the connection of its first `failures` requests, then answers `200 ok` to each. */
async function startFlakyPod(failures: number): Promise<{ address: string; answered: () => number; close(): Promise<void> }> {
  let left = failures;
  let answered = 0;
  const pod = await startRawPod((socket) => {
    if (left > 0) {
      left--;
      socket.resetAndDestroy();
      return;
    }
    answered++;
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  return { ...pod, answered: () => answered };
}

/** A body of `n` bytes as a stream of 16 KiB chunks (sent chunked). */
function streamedBody(n: number): ReadableStream<Uint8Array> {
  let left = n;
  return new ReadableStream({
    pull(c) {
      if (left === 0) return c.close();
      const size = Math.min(left, 16 * 1024);
      left -= size;
      c.enqueue(new Uint8Array(size).fill(120));
    },
  });
}

for (const runtime of RUNTIMES) {
  describe(`retries on ${runtime}`, () => {
    let a: Backend;
    let b: Backend;
    let slow: Backend;
    let resetPost: Awaited<ReturnType<typeof startBadPod>>;
    let resetPut: Awaited<ReturnType<typeof startBadPod>>;
    let hangGet: Awaited<ReturnType<typeof startBadPod>>;
    let hangPost: Awaited<ReturnType<typeof startBadPod>>;
    let flaky: Awaited<ReturnType<typeof startFlakyPod>>;
    let dead: string[];
    let golb: GolbProcess;
    let slowPending = 0;

    before(async () => {
      [a, b] = await Promise.all([startBackend(), startBackend()]);
      // A pod that takes a moment to answer, so requests are in flight when it is killed.
      slow = await startBackend((_req, res) => {
        slowPending++;
        setTimeout(() => {
          slowPending--;
          res.end('slow');
        }, 20);
      });
      [resetPost, resetPut, hangGet, hangPost] = await Promise.all([startBadPod('reset'), startBadPod('reset'), startBadPod('hang'), startBadPod('hang')]);
      flaky = await startFlakyPod(1);
      dead = await Promise.all([freePort(), freePort(), freePort()]).then((ports) => ports.map((p) => `127.0.0.1:${p}`));
      golb = await startGolb(runtime, {
        weights: {
          refusing: { ips: [dead[0], a.address, b.address], weights: [1, 1, 1] },
          killed: { ips: [a.address, slow.address, b.address], weights: [1, 1, 1] },
          // The bad pod first: smooth WRR's first pick is the first of equal weights.
          resetpost: { ips: [resetPost.address, a.address], weights: [1, 1] },
          resetput: { ips: [resetPut.address, b.address], weights: [1, 1] },
          postrefused: { ips: [dead[1], a.address], weights: [1, 1] },
          streamrefused: { ips: [dead[2], b.address], weights: [1, 1] },
          hangget: { ips: [hangGet.address, a.address], weights: [1, 1] },
          hangpost: { ips: [hangPost.address, b.address], weights: [1, 1] },
          panic: { ips: [flaky.address], weights: [1] },
        },
        // The live pods answer within milliseconds; the hanging ones never do.
        env: { eb_go_lb_response_timeout: '1' },
      });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await Promise.all([a.close(), b.close(), slow.close().catch(() => undefined), resetPost.close(), resetPut.close(), hangGet.close(), hangPost.close(), flaky.close()]);
    });

    test('a refusing pod among live ones costs no failed GET', async () => {
      for (let i = 0; i < 50; i++) {
        const r = await fetch(`${golb.url}/function/refusing/r${i}`);
        assert.equal(r.status, 200, `request ${i}: ${await r.clone().text()}`);
        await r.arrayBuffer();
      }
      const tries = golb.output().split('\n').filter((l) => l.includes('upstream failed') && l.includes(`backend=${dead[0]} `)).length;
      assert.ok(tries >= 1, 'the refusing pod was tried');
      // Round robin alone would send it a third of the 50; its passive mark (1 s, 2 s, 4 s …) keeps it to a few trials.
      assert.ok(tries < 10, `the marked pod was tried ${tries} times`);
      assert.match(golb.output(), new RegExp(`backend marked down backend=${dead[0]}`));
    });

    test('a pod killed under load costs no failed idempotent request', async () => {
      const failures: string[] = [];
      let done = 0;
      let killed = false;
      const client = async () => {
        for (let i = 0; i < 40; i++) {
          const method = i % 2 === 0 ? 'GET' : 'DELETE';
          const r = await fetch(`${golb.url}/function/killed/k`, { method }).catch((e: unknown) => e as Error);
          if (r instanceof Error) failures.push(String(r));
          else {
            if (r.status !== 200) failures.push(`${method} ${r.status} ${await r.text()}`);
            else await r.arrayBuffer();
          }
          done++;
          // Kill the slow pod once it holds requests in flight: their connections are destroyed.
          if (!killed && done >= 40 && slowPending > 0) {
            killed = true;
            await slow.close();
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, client));
      assert.equal(killed, true, 'the pod was killed mid-run');
      assert.deepEqual(failures, []);
      assert.ok(a.seen.length > 0 && b.seen.length > 0);
    });

    test('a POST whose body reached a pod that reset is not sent again: 502, the body arrived once', async () => {
      const aPosts = () => a.seen.filter((s) => s.method === 'POST' && s.url === '/once').length;
      const before = aPosts();
      const r = await fetch(`${golb.url}/function/resetpost/once`, { method: 'POST', body: Buffer.alloc(50_000, 97) });
      assert.equal(r.status, 502);
      assert.equal(((await r.json()) as { error: string }).error, 'upstream_failed');
      assert.deepEqual(resetPost.bodies, [50_000]);
      assert.equal(aPosts(), before, 'no other pod received it');
    });

    test('a PUT (idempotent) whose body reached a pod that reset is sent whole to the next pod', async () => {
      const r = await fetch(`${golb.url}/function/resetput/again`, { method: 'PUT', body: Buffer.alloc(100_000, 98) });
      assert.equal(r.status, 200);
      const body = (await r.json()) as { port: number; method: string; bodyLength: number };
      assert.deepEqual([body.port, body.method, body.bodyLength], [b.port, 'PUT', 100_000]);
      assert.deepEqual(resetPut.bodies, [100_000]);
    });

    test('a POST whose connection was refused is sent whole to the next pod', async () => {
      const r = await fetch(`${golb.url}/function/postrefused/p`, { method: 'POST', body: Buffer.alloc(200_000, 99) });
      assert.equal(r.status, 200);
      const body = (await r.json()) as { port: number; method: string; bodyLength: number };
      assert.deepEqual([body.port, body.method, body.bodyLength], [a.port, 'POST', 200_000]);
      assert.match(golb.output(), new RegExp(`upstream failed .*backend=${dead[1]}`));
    });

    test('a streamed (chunked) POST whose connection was refused is sent whole to the next pod', async () => {
      const init = { method: 'POST', body: streamedBody(150_000), duplex: 'half' } as RequestInit;
      const r = await fetch(`${golb.url}/function/streamrefused/s`, init);
      assert.equal(r.status, 200);
      const body = (await r.json()) as { port: number; method: string; bodyLength: number; headers: Record<string, string> };
      assert.deepEqual([body.port, body.method, body.bodyLength], [b.port, 'POST', 150_000]);
      assert.equal(body.headers['transfer-encoding'], 'chunked');
      assert.match(golb.output(), new RegExp(`upstream failed .*backend=${dead[2]}`));
    });

    test('panic routing: a function whose only pod is marked down by a failure still sends it the next request', async () => {
      const failed = await fetch(`${golb.url}/function/panic/p`);
      assert.equal(failed.status, 502);
      assert.equal(((await failed.json()) as { error: string }).error, 'upstream_failed');
      assert.match(golb.output(), new RegExp(`backend marked down backend=${flaky.address} `));
      // Within the mark's 1 s backoff: no backend is available, and golb tries the one whose mark ends first.
      const r = await fetch(`${golb.url}/function/panic/p`);
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal(await r.text(), 'ok');
      assert.equal(flaky.answered(), 1);
      assert.match(golb.output(), new RegExp(`backend answers again backend=${flaky.address}`));
    });

    test('a GET whose pod timed out is answered by the next pod', async () => {
      const r = await fetch(`${golb.url}/function/hangget/t`);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { port: number }).port, a.port);
      assert.deepEqual(hangGet.bodies, [0], 'the hanging pod got it once');
    });

    test('a POST whose pod timed out after taking its body is not sent again: 504', async () => {
      const bPosts = () => b.seen.filter((x) => x.url === '/t').length;
      const before = bPosts();
      const r = await fetch(`${golb.url}/function/hangpost/t`, { method: 'POST', body: 'once' });
      assert.equal(r.status, 504);
      assert.equal(((await r.json()) as { error: string }).error, 'upstream_timeout');
      assert.deepEqual(hangPost.bodies, [4]);
      assert.equal(bPosts(), before);
    });
  });
}
