// The upstream exchange without sockets: golb's HTTP/1.1 client on the
// in-memory transport, a scripted upstream answering byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransportEvents, TransportSocket } from '../../../app/net/transport.ts';
import type { UpstreamError, UpstreamRequest } from '../../../app/proxy/engine.ts';
import { textHeaderLines } from '../../../app/proxy/forward-headers.ts';
import { Http1Client } from '../../../app/proxy/http1-client.ts';
import { ADMIT_ALL, MemoryTransport } from '../../support/memory-transport.ts';
import { manualTimer } from '../../support/manual-timer.ts';

/** An upstream that reads each request head (and a Content-Length body) and answers `answer(request text)`. */
class ScriptedUpstream implements TransportEvents {
  private buffered = '';
  readonly requests: string[] = [];
  constructor(private readonly socket: TransportSocket, private readonly answer: (req: string) => string | undefined) {}
  onOpen(): void {}
  onData(data: Buffer): void {
    this.buffered += data.toString('latin1');
    for (;;) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(this.buffered.slice(0, end))?.[1] ?? 0);
      if (this.buffered.length < end + 4 + length) return;
      const req = this.buffered.slice(0, end + 4 + length);
      this.buffered = this.buffered.slice(req.length);
      this.requests.push(req);
      const res = this.answer(req);
      if (res !== undefined) this.socket.write(res);
    }
  }
  onDrain(): void {}
  onEnd(): void {
    this.socket.end();
  }
  onClose(): void {}
}

async function setup(answer: (req: string) => string | undefined) {
  const transport = new MemoryTransport();
  const upstreams: ScriptedUpstream[] = [];
  await transport.listen('10.0.0.1', 80, (socket) => {
    const u = new ScriptedUpstream(socket, answer);
    upstreams.push(u);
    return u;
  }, ADMIT_ALL);
  const { timer, sweep } = manualTimer();
  const client = new Http1Client({ connectTimeoutMs: 1000, responseTimeoutMs: 1000, idleTimeoutMs: 5000, maxIdlePerUpstream: 4, timer }, transport);
  return { transport, upstreams, client, sweep };
}

function request(method: string, target: string, body?: string): UpstreamRequest {
  return {
    method, target, host: '10.0.0.1', port: 80, address: '10.0.0.1:80',
    headers: textHeaderLines('x-a: 1\r\n'),
    body: body === undefined ? null : new Response(body).body,
    bodyLength: body === undefined ? undefined : Buffer.byteLength(body),
    maxBodySize: 1 << 20, signal: undefined,
  };
}

async function text(body: { stream(): ReadableStream<Uint8Array> } | null): Promise<string> {
  return body === null ? '' : new Response(body.stream()).text();
}

test('the exchange sends the rendered head and body, reads the response, and the connection is pooled and reused', async () => {
  const t = await setup((req) => {
    const body = `echo ${req.split('\r\n')[0]}`;
    return `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-Up: 1\r\n\r\n${body}`;
  });
  const first = await t.client.request(request('POST', '/a', 'hello'));
  assert.equal(first.status, 200);
  assert.equal(first.length, 'echo POST /a HTTP/1.1'.length);
  assert.equal(await text(first.body), 'echo POST /a HTTP/1.1');
  assert.equal(t.upstreams[0]!.requests[0], 'POST /a HTTP/1.1\r\nHost: 10.0.0.1:80\r\nx-a: 1\r\nContent-Length: 5\r\n\r\nhello');
  const second = await t.client.request(request('GET', '/b'));
  assert.equal(await text(second.body), 'echo GET /b HTTP/1.1');
  assert.equal(t.transport.accepted.get('10.0.0.1:80'), 1, 'one connection for both: kept alive');
  t.client.close();
});

test('a chunked response arrives de-chunked; a malformed one fails the exchange as a protocol error', async () => {
  const t = await setup((req) =>
    req.startsWith('GET /chunked')
      ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'
      : 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  );
  const ok = await t.client.request(request('GET', '/chunked'));
  assert.equal(ok.length, -1);
  assert.equal(await text(ok.body), 'abcde');
  await assert.rejects(t.client.request(request('GET', '/bad')), (err: UpstreamError) => err.failure === 'protocol');
  t.client.close();
});

test('an upstream that never answers times out on the sweep of the timer given; a refused connect fails at once', async () => {
  const t = await setup(() => undefined);
  const pending = t.client.request(request('GET', '/slow'));
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20; i++) t.sweep();
  await assert.rejects(pending, (err: UpstreamError) => err.failure === 'timeout');
  await assert.rejects(t.client.request({ ...request('GET', '/'), host: '10.0.0.2', address: '10.0.0.2:80' }), (err: UpstreamError) => err.failure === 'connect');
  t.client.close();
});
