import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedLines, LINE_FAILED, LINE_PENDING, MAX_CHUNK_LINE, MAX_TRAILER_BYTES, TRAILERS_END, TRAILER_FIELD, chunkDataEndOk } from '../../../app/http/chunked.ts';
import { trailerFieldOk } from '../../../app/http/syntax.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

test('ChunkedLines: a chunk-size line whole or split, its extensions ignored; what follows it is not taken', () => {
  const lines = new ChunkedLines();
  assert.equal(lines.read(b('1a;name=value\r\nrest'), false), 26);
  assert.equal(lines.taken, 15);
  assert.equal(lines.read(b('F'), false), LINE_PENDING);
  assert.equal(lines.taken, 1);
  assert.equal(lines.read(b('F\r\n'), false), 255);
  assert.equal(lines.read(b('0\r\n'), false), 0);
});

test('ChunkedLines: trailer fields are checked and dropped; the empty line ends them', () => {
  const lines = new ChunkedLines();
  assert.equal(lines.read(b('X-T: 1\r\n'), true), TRAILER_FIELD);
  assert.equal(lines.read(b('\r\n'), true), TRAILERS_END);
});

test('ChunkedLines refuses what cannot be framed with certainty', () => {
  const cases: [string, boolean, string][] = [
    ['2;a\rb\r\n', false, 'bad chunk size'],
    ['zz\r\n', false, 'bad chunk size'],
    ['12345678901234\r\n', false, 'bad chunk size'],
    ['2\n', false, 'bare LF in chunked body'],
    ['1;' + 'e'.repeat(MAX_CHUNK_LINE), false, 'chunk line too long'],
    ['2 ;a\r\n', false, 'bad chunk size'],
    ['2;a= b\r\n', false, 'bad chunk size'],
    ['no colon here\r\n', true, 'malformed or framing trailer field'],
    ['X-T: a\x00b\r\n', true, 'malformed or framing trailer field'],
    ['Content-Length: 5\r\n', true, 'malformed or framing trailer field'],
    ['transfer-encoding: chunked\r\n', true, 'malformed or framing trailer field'],
    ['Connection: close\r\n', true, 'malformed or framing trailer field'],
    ['X-T: 1\n', true, 'bare LF in chunked body'],
    ['X-T: ' + 'v'.repeat(MAX_TRAILER_BYTES), true, 'trailers too large'],
  ];
  for (const [line, trailers, reason] of cases) {
    const lines = new ChunkedLines();
    assert.equal(lines.read(b(line), trailers), LINE_FAILED, JSON.stringify(line));
    assert.equal(lines.failure, reason, JSON.stringify(line));
  }
});

test('chunkDataEndOk wants CR then LF; trailerFieldOk wants a token, a colon and clean content', () => {
  assert.equal(chunkDataEndOk(13, 2), true);
  assert.equal(chunkDataEndOk(10, 1), true);
  assert.equal(chunkDataEndOk(10, 2), false);
  assert.equal(chunkDataEndOk(undefined, 2), false);
  assert.equal(trailerFieldOk('X-T: 1\r\n', 6), true);
  assert.equal(trailerFieldOk(': 1\r\n', 3), false);
  assert.equal(trailerFieldOk('X T: 1\r\n', 6), false);
});
