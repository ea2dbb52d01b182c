/**
 * A client that never closes its side cannot hold a connection for ever: once
 * golb has answered and closed its own side (here `Connection: close`), the
 * socket is released within the transport's linger limit (`LINGER_MS`), on
 * every runtime. Seen from the client: bytes it sends after that are met
 * with a reset, where a socket golb still held would take them in silence.
 * The three runtimes are probed side by side (each waits the linger limit).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { LINGER_MS } from '../../app/net/transport.ts';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';

/** A client that reads golb's answer and FIN but never sends its own FIN. */
class StubbornClient {
  readonly socket: Socket;
  received = '';
  ended = false;
  /** The socket failed (a reset) or closed. */
  gone: string | undefined = undefined;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    this.socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.gone ??= err.code ?? err.message));
    this.socket.on('close', () => (this.gone ??= 'closed'));
  }

  /** Sends a byte now and then until the socket fails or `ms` pass; what ended it, or undefined. */
  async pokeFor(ms: number): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    while (this.gone === undefined && Date.now() < deadline) {
      this.socket.write('x');
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.gone;
  }
}

const until = async (what: string, ms: number, ok: () => boolean): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let backend: Backend;
const golbs = new Map<string, GolbProcess>();

before(async () => {
  backend = await startBackend();
  await Promise.all(RUNTIMES.map(async (rt) => golbs.set(rt, await startGolb(rt, { weights: { echo: { ips: [backend.address], weights: [1] } } }))));
});

after(async () => {
  const codes = await Promise.all([...golbs.values()].map((g) => g.stop()));
  await backend.close();
  assert.deepEqual(codes, codes.map(() => 0), 'every golb exits 0 on SIGTERM');
});

describe('a client that never closes its side', { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    test(`on ${runtime}: the connection is released within the linger limit after the answer`, async () => {
      const c = new StubbornClient(golbs.get(runtime)!.port);
      c.socket.write('GET /function/echo/linger HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
      await until('the answer and golb\'s FIN', 5_000, () => c.ended);
      assert.match(c.received, /^HTTP\/1\.1 200 /);
      const startedAt = Date.now();
      try {
        // Past the limit (and a margin), the socket must be gone: a poke gets a reset.
        await new Promise((r) => setTimeout(r, LINGER_MS + 500));
        const gone = await c.pokeFor(2_000);
        assert.ok(gone !== undefined, `golb still holds the connection ${Date.now() - startedAt} ms after its FIN`);
      } finally {
        c.socket.destroy();
      }
    });
  }
});
