import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { collectEvery } from '../../../app/net/collecting-transport.ts';
import { nodeTransport, watchReads } from '../../../app/net/node-transport.ts';

test('collectEvery collects once per threshold of bytes read, whatever the read sizes', () => {
  let collected = 0;
  const watch = collectEvery(100, () => collected++);
  for (let i = 0; i < 9; i++) watch(10);
  assert.equal(collected, 0);
  watch(10);
  assert.equal(collected, 1);
  watch(250);
  assert.equal(collected, 2);
  watch(99);
  assert.equal(collected, 2);
  watch(1);
  assert.equal(collected, 3);
});

test('every read of a node:net socket reaches the read watcher', async () => {
  const total = 3 * 1024 * 1024;
  const server = createServer((socket) => socket.end(Buffer.alloc(total)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let seen = 0;
  watchReads((bytes) => (seen += bytes));
  try {
    await new Promise<void>((resolve, reject) => {
      let received = 0;
      nodeTransport.connect('127.0.0.1', (server.address() as AddressInfo).port, {
        onOpen: () => undefined,
        onData: (data) => (received += data.length),
        onDrain: () => undefined,
        onEnd: () => (received === total ? resolve() : reject(new Error(`received ${received}`))),
        onClose: (error) => (error === undefined ? undefined : reject(new Error(error))),
      });
    });
    assert.equal(seen, total);
  } finally {
    watchReads(undefined);
    server.close();
  }
});

test('upstream reads stay intact when several sockets read at once and their chunks are kept', async () => {
  // Upstream sockets read into a buffer shared by every socket (onread): each read must be copied out.
  const size = 2 * 1024 * 1024;
  let next = 0;
  const server = createServer((socket) => {
    const fill = 1 + next++;
    for (let sent = 0; sent < size; sent += 64 * 1024) socket.write(Buffer.alloc(64 * 1024, fill));
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const bodies = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<Buffer>((resolve, reject) => {
            const chunks: Buffer[] = [];
            nodeTransport.connect('127.0.0.1', port, {
              onOpen: () => undefined,
              onData: (data) => chunks.push(data), // kept as handed over, not copied
              onDrain: () => undefined,
              onEnd: () => resolve(Buffer.concat(chunks)),
              onClose: (error) => (error === undefined ? undefined : reject(new Error(error))),
            });
          }),
      ),
    );
    const fills = bodies.map((body) => {
      assert.equal(body.length, size);
      const fill = body[0]!;
      assert.ok(body.every((b) => b === fill), `a body mixes bytes of another socket's reads (fill ${fill})`);
      return fill;
    });
    assert.deepEqual(fills.sort(), [1, 2, 3]);
  } finally {
    server.close();
  }
});
