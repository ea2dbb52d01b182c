import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBuffer } from '../../../app/server/byte-buffer.ts';

test('byte buffer: appends of any size, across growth, read back in order', () => {
  const b = new ByteBuffer(3);
  const expected: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const piece = Buffer.alloc((i % 7) + 1, i % 251);
    b.append(piece);
    expected.push(...piece);
  }
  assert.equal(b.length, expected.length);
  assert.deepEqual([...b.view()], expected);
});
