import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { collectEvery } from '../../../app/proxy/collecting-transport.ts';
import { nodeTransport, watchReads } from '../../../app/proxy/node-transport.ts';

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
