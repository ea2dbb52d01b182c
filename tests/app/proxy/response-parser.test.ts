import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser, parseChunkSize } from '../../../app/proxy/response-parser.ts';
import type { ResponseHead } from '../../../app/proxy/response-head.ts';

interface Trace {
  head?: ResponseHead;
  body: string;
  end?: boolean;
  extra?: boolean;
  error?: string;
}

/** Feeds `parts` (split anywhere) to a parser and records what it reported. */
function parse(parts: string[], isHead = false, eof = false): Trace {
  const t: Trace = { body: '' };
  const p = new ResponseParser(
    {
      head: (h) => (t.head = h),
      body: (c) => (t.body += Buffer.from(c).toString('latin1')),
      end: (extra) => {
        t.end = true;
        t.extra = extra;
      },
      error: (r) => (t.error = r),
    },
    isHead,
  );
  for (const part of parts) p.feed(Buffer.from(part, 'latin1'));
  if (eof) p.eof();
  return t;
}

/** Every way of splitting `s` in two. */
function splits(s: string): string[][] {
  return Array.from({ length: s.length + 1 }, (_, i) => [s.slice(0, i), s.slice(i)]);
}

test('Content-Length body, whatever the split', () => {
  const msg = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello';
  for (const parts of splits(msg)) {
    const t = parse(parts);
    assert.equal(t.head?.status, 200);
    assert.equal(t.body, 'hello');
    assert.equal(t.end, true);
    assert.equal(t.head?.keepAlive, true);
    assert.deepEqual(t.head?.headers, [['content-length', '5'], ['x-a', '1']]);
  }
});

test('chunked body with extensions and trailers, whatever the split', () => {
  const msg = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n';
  for (const parts of splits(msg)) {
    const t = parse(parts);
    assert.equal(t.body, 'hello world', JSON.stringify(parts));
    assert.equal(t.end, true);
    assert.equal(t.error, undefined);
  }
});

test('HEAD, 204 and 304 have no body whatever their headers say', () => {
  assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'], true).end, true);
  assert.equal(parse(['HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n']).end, true);
  assert.equal(parse(['HTTP/1.1 304 Not Modified\r\n\r\n']).end, true);
});

test('1xx interim responses are skipped', () => {
  const t = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
  assert.equal(t.head?.status, 201);
  assert.equal(t.body, 'ok');
});

test('no framing: read until close, not reusable', () => {
  const t = parse(['HTTP/1.1 200 OK\r\n\r\nabc', 'def'], false, true);
  assert.equal(t.head?.framing, 'close');
  assert.equal(t.head?.keepAlive, false);
  assert.equal(t.body, 'abcdef');
  assert.equal(t.end, true);
});

test('HTTP/1.0 and Connection: close are not reusable', () => {
  assert.equal(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n']).head?.keepAlive, false);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']).head?.keepAlive, false);
});

test('bytes after a complete response are reported, so the connection is dropped', () => {
  const t = parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA']);
  assert.equal(t.body, 'ok');
  assert.equal(t.extra, true);
});

// Found by the differential fuzz: golb framed these, llhttp (Node's client) refuses them.
test('TE and CL together are refused, in either order, on any status', () => {
  for (const status of ['200 OK', '204 No Content', '103 Early Hints']) {
    assert.match(parse([`HTTP/1.1 ${status}\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`]).error ?? '', /both/, status);
    assert.match(parse([`HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n`]).error ?? '', /both/, status);
  }
});

test('an identical repeated Content-Length is refused', () => {
  const t = parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\ncontent-length:  2\r\n\r\nok']);
  assert.match(t.error ?? '', /repeated Content-Length/);
  assert.equal(t.head, undefined);
});

test('an answer to HEAD with no length is not reused (its sender may send a body late), one with a length or chunked is', () => {
  assert.equal(parse(['HTTP/1.1 200 OK\r\n\r\n'], true).head?.keepAlive, false);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'], true).head?.keepAlive, false);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'], true).head?.keepAlive, true);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'], true).head?.keepAlive, true);
  assert.equal(parse(['HTTP/1.1 204 No Content\r\n\r\n'], true).head?.keepAlive, true);
  assert.equal(parse(['HTTP/1.1 200 OK\r\n\r\n'], true).end, true);
});

test('a Content-Length on a 204 or a 304 is dropped; on a HEAD response it stays', () => {
  assert.deepEqual(parse(['HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n']).head?.headers, [['x-a', '1']]);
  assert.deepEqual(parse(['HTTP/1.1 304 Not Modified\r\nETag: "v"\r\nContent-Length: 7\r\n\r\n']).head?.headers, [['etag', '"v"']]);
  assert.deepEqual(parse(['HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'], true).head?.headers, [['content-length', '1234']]);
});

test('HTAB and obs-text pass in a header value and a reason phrase', () => {
  const t = parse(['HTTP/1.1 200 O\tK\xe9\r\nX-A: a\tb\xe9\r\nContent-Length: 0\r\n\r\n']);
  assert.equal(t.error, undefined);
  assert.equal(t.head?.reason, 'O\tK\xe9');
  assert.deepEqual(t.head?.headers[0], ['x-a', 'a\tb\xe9']);
});

/** Every control character but HTAB, CR and LF (tested on their own below). */
const CONTROLS = [...Array.from({ length: 32 }, (_, c) => c).filter((c) => c !== 9 && c !== 10 && c !== 13), 127];
test('a control character other than HTAB in a header value or the reason phrase is a protocol error', () => {
  for (const c of CONTROLS) {
    const ctl = String.fromCharCode(c);
    assert.ok(parse([`HTTP/1.1 200 OK\r\nX-A: a${ctl}b\r\nContent-Length: 0\r\n\r\n`]).error, `0x${c.toString(16)} in a value`);
    assert.ok(parse([`HTTP/1.1 200 OK\r\nX-A: ab${ctl}\r\nContent-Length: 0\r\n\r\n`]).error, `0x${c.toString(16)} ending a value`);
    assert.ok(parse([`HTTP/1.1 200 O${ctl}K\r\nContent-Length: 0\r\n\r\n`]).error, `0x${c.toString(16)} in the reason phrase`);
  }
});

const broken: [string, string][] = [
  ['conflicting Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'],
  ['non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello'],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n'],
  ['bad status line', 'HTTP/2 200 OK\r\n\r\n'],
  ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ['chunk size overflow', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000000005\r\nhello\r\n'],
  ['missing CRLF after chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n'],
  ['101 without upgrade', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
  ['bare LF inside a header line', 'HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nContent-Length: 0\r\n\r\n'],
  ['bare CR inside a header value', 'HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n'],
  ['bare LF in the reason phrase', 'HTTP/1.1 200 OK\nX-A: 1\r\nContent-Length: 0\r\n\r\n'],
  ['status with four digits', 'HTTP/1.1 2000 OK\r\n\r\n'],
  ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n'],
  ['no header name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n'],
];
for (const [name, msg] of broken) {
  test(`protocol error: ${name}`, () => assert.ok(parse([msg]).error, name));
}

test('a head over 64 KiB is refused', () => {
  assert.ok(parse(['HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(70_000)]).error);
});

test('early close: before the head and mid-body are errors', () => {
  assert.match(parse(['HTTP/1.1 200 OK\r\n'], false, true).error ?? '', /before the response/);
  assert.match(parse(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'], false, true).error ?? '', /mid-body/);
});

test('chunk size parsing', () => {
  assert.equal(parseChunkSize('1a\r\n'), 26);
  assert.equal(parseChunkSize('FF;name=value\r\n'), 255);
  assert.equal(parseChunkSize('FF;a;b="x \\" y";c=d\r\n'), 255);
  assert.equal(parseChunkSize('\r\n'), -1);
  assert.equal(parseChunkSize('-1\r\n'), -1);
  assert.equal(parseChunkSize('1 2\r\n'), -1);
});

// Found by the differential fuzz (tests/support/fuzz): Node's llhttp refuses
// these chunk lines, so golb, in front of or behind it, must refuse them too.
test('chunk extensions: whitespace, an empty one and a malformed value are refused, as llhttp does', () => {
  for (const line of ['5 ;a=b', '5\t;a', '5;', '5; a', '5;a =b', '5;a= b', '5;a=b ', '5;a=b"', '5;a="x"y', '5;a="x', '5;a=\x80', '5;a=\rb']) {
    assert.equal(parseChunkSize(`${line}\r\n`), -1, JSON.stringify(line));
    const t = parse([`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nhello\r\n0\r\n\r\n`]);
    assert.match(t.error ?? '', /bad chunk size/, JSON.stringify(line));
  }
  for (const line of ['5;a', '5;a=b;c=d', '5;a="x y"', '5;a="\t\x80"', '5;a="\\""']) assert.equal(parseChunkSize(`${line}\r\n`), 5, JSON.stringify(line));
});

test('an HTAB in Content-Length or Transfer-Encoding after the value starts is refused (llhttp reads chunked<HTAB> as another coding)', () => {
  assert.match(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n']).error ?? '', /HTAB/);
  assert.match(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\t\r\n\r\nok']).error ?? '', /HTAB/);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length:\t2\r\n\r\nok']).body, 'ok');
});

test('trailer lines are checked as fields; Content-Length, Transfer-Encoding and Connection trailers are refused (as llhttp refuses or acts on them)', () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n';
  assert.equal(parse([`${chunked}X-T: 1\r\n\r\n`]).body, 'ok');
  for (const line of ['Content-Length: 5', 'transfer-encoding: chunked', 'Connection: close', 'no colon', ' folded', 'X-T: a\x00b', ': x']) {
    assert.match(parse([`${chunked}X-T: 1\r\n${line}\r\n\r\n`]).error ?? '', /trailer/, JSON.stringify(line));
  }
});

test('an empty Transfer-Encoding field or element is refused (llhttp keeps an earlier chunked for it)', () => {
  const bad = 'HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: \r\n\r\n4\r\n0GET\r\n0;a=\u0000\n\r\n';
  assert.match(parse([bad]).error ?? '', /bad Transfer-Encoding/);
  for (const te of ['chunked,', ', chunked', 'gzip,,chunked', ' ']) {
    assert.match(parse([`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n0\r\n\r\n`]).error ?? '', /bad Transfer-Encoding/, te);
  }
  assert.equal(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n']).body, 'ok');
});

test('an HTTP/1.0 response is not reused on a Connection: keep-alive with an HTAB, as llhttp does not take it', () => {
  assert.equal(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\t\r\nContent-Length: 0\r\n\r\n']).head?.keepAlive, false);
  assert.equal(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n']).head?.keepAlive, true);
});

test('a 1xx that closes the connection is refused (llhttp reads no final response after it); one that keeps it is skipped', () => {
  const final = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  assert.match(parse([`HTTP/1.0 102 Processing\r\nContent-Length: 2\r\n\r\n${final}`]).error ?? '', /interim/);
  assert.match(parse([`HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n${final}`]).error ?? '', /interim/);
  assert.equal(parse([`HTTP/1.0 100 Continue\r\nConnection: keep-alive\r\n\r\n${final}`]).body, 'ok');
  assert.equal(parse([`HTTP/1.1 100 Continue\r\n\r\n${final}`]).body, 'ok');
});

test('chunked framing is held to the request policy: a bare CR in an extension, a malformed trailer, a bare LF are refused', () => {
  const start = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  assert.equal(parse([start + '2;a\rb\r\nok\r\n0\r\n\r\n']).error, 'bad chunk size');
  assert.equal(parse([start + '0\r\nno colon here\r\n\r\n']).error, 'malformed or framing trailer field');
  assert.equal(parse([start + '2\nok\r\n0\r\n\r\n']).error, 'bare LF in chunked body');
  assert.equal(parse([start + '1;' + 'e'.repeat(5000) + '\r\na\r\n0\r\n\r\n']).error, 'chunk line too long');
  assert.equal(parse([start + '0\r\n' + 'X-T: 1\r\n'.repeat(9000) + '\r\n']).error, 'trailers too large');
});
