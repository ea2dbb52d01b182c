import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkBytes, headEndByLoop, headEndBySearch } from '../../../app/http/syntax.ts';

// Both ways of finding a head's end (the loop serves Deno, the search Bun and Node) give the same answers.
const cases: [string, number, number][] = [
  ['GET / HTTP/1.1\r\nHost: a\r\n\r\nbody', 0, 23],
  ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', 0, 23],
  ['\r\n\r\n', 0, 0],
  ['GET / HTTP/1.1\r\nHost: a\r\n', 0, -1],
  ['GET / HTTP/1.1\r\nHost: a\r\n\r', 0, -1],
  ['a\n\n\r\n\r\r\n\n\r\n\r\n', 0, 9], // bare LFs and CRs before the real end
  ['a\rx\r\nb\r\n\r\n', 0, 6], // CR, a byte, CRLF: not an end
  ['x\r\n\r\ny\r\n\r\n', 0, 1],
  ['x\r\n\r\ny\r\n\r\n', 2, 6], // searching from past the first end
  ['x\r\n\r\ny\r\n\r\n', 6, 6],
  ['x\r\n\r\ny\r\n\r\n', 7, -1],
  ['', 0, -1],
];

for (const [name, find] of [['search', headEndBySearch], ['loop', headEndByLoop]] as const) {
  test(`headEnd by ${name}: where CRLFCRLF starts, from an offset, or -1`, () => {
    for (const [text, from, expected] of cases) {
      assert.equal(find(Buffer.from(text, 'latin1'), from), expected, JSON.stringify([text, from]));
    }
  });
}

test('chunkBytes: size in hex, CRLF, the data, CRLF', () => {
  assert.equal(chunkBytes(Buffer.from('hello')).toString('latin1'), '5\r\nhello\r\n');
  const data = Buffer.alloc(300, 0x61);
  assert.equal(chunkBytes(data).toString('latin1'), `12c\r\n${'a'.repeat(300)}\r\n`);
});
