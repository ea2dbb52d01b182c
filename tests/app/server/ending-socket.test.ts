import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Http1Server } from '../../../app/server/http1-server.ts';
import type { Accept, Transport, TransportEvents, TransportSocket } from '../../../app/net/transport.ts';
import { plainPath } from '../../../app/server/web-bridge.ts';
import { SYSTEM_TIMERS } from '../../../app/timers.ts';

/** A client socket whose peer reads nothing: every write is queued; records end() and destroy(). */
class StuckSocket implements TransportSocket {
  ended = false;
  destroyed = false;
  write(): boolean {
    return false;
  }
  writeCopy(): boolean {
    return false;
  }
  writeChunk(): boolean {
    return false;
  }
  pause(): void {}
  resume(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  end(): void {
    this.ended = true;
  }
}

test('a connection that ends with its last bytes unsent is destroyed after the idle timeout', async () => {
  let accept: Accept | undefined;
  const transport: Transport = {
    name: 'stuck',
    connect: () => {
      throw new Error('no upstream here');
    },
    listen: async (_host, _port, a) => {
      accept = a;
      return { port: 1, close: () => undefined };
    },
  };
  const server = new Http1Server({
    proxy: undefined,
    direct: () => ({ status: 200, body: '{"ok":true}' }),
    fetch: () => new Response('no'),
    idleTimeoutMs: 80,
    bodyTimeoutMs: 1000,
    requestBufferBytes: 0,
    onError: (err) => assert.fail(String(err)),
    origin: { zone: 'z', node: 'n' },
    admission: { admit: () => true, release: () => undefined },
    timer: SYSTEM_TIMERS,
    now: () => Date.now(),
  });
  await server.listen(transport, '127.0.0.1', 0);
  const socket = new StuckSocket();
  const events: TransportEvents = accept!(socket, '127.0.0.1');
  events.onData(Buffer.from('GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
  assert.equal(socket.ended, true, 'the answer went out with connection: close, and the socket was ended');
  assert.equal(socket.destroyed, false);
  const deadline = Date.now() + 2000;
  while (!socket.destroyed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(socket.destroyed, true, 'its queued bytes never went out: destroyed, not kept for ever');
  server.destroy();
});

test('plainPath: dot segments (plain or %2e) and backslashes are refused; other paths pass', () => {
  for (const t of ['/', '/metrics', '/r/app/route?x=../y', '/a.b/..c/...', '/%2e%2e%2e/x', '/a/.hidden', '*', '/x?\\']) assert.equal(plainPath(t), true, t);
  for (const t of ['/x/../metrics', '/x/..', '/./x', '/x/%2e%2e/metrics', '/.%2E/metrics', '/%2e/x', '/x\\..\\metrics', '/a\\b', '/..?q']) assert.equal(plainPath(t), false, t);
});
