import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REQUEST_HEAD, RequestHeaders, RequestParser, type RequestHead } from '../../../app/server/request-parser.ts';

interface Trace {
  head?: RequestHead;
  body: string;
  /** Sizes of the body() calls, to see no empty chunk is reported. */
  sizes: number[];
  ends: number;
  error?: [number, string];
  errors: number;
  /** What feed() returned, per call. */
  consumed: number[];
}

/** A parser with a sink that records every report, in order. */
function recorder(): { parser: RequestParser; t: Trace; events: string[] } {
  const t: Trace = { body: '', sizes: [], ends: 0, errors: 0, consumed: [] };
  const events: string[] = [];
  const parser = new RequestParser({
    head: (h) => {
      t.head = h;
      events.push('head');
    },
    body: (c) => {
      t.body += Buffer.from(c).toString('latin1');
      t.sizes.push(c.length);
      events.push('body');
    },
    end: () => {
      t.ends++;
      events.push('end');
    },
    error: (status, reason) => {
      t.error = [status, reason];
      t.errors++;
      events.push('error');
    },
  });
  return { parser, t, events };
}

/** Feeds `parts` (split anywhere) to a new parser and records what it reported. */
function parse(parts: string[]): Trace {
  const { parser, t } = recorder();
  for (const part of parts) t.consumed.push(parser.feed(Buffer.from(part, 'latin1')));
  return t;
}

/** Every way of splitting `s` in two. */
function splits(s: string): string[][] {
  return Array.from({ length: s.length + 1 }, (_, i) => [s.slice(0, i), s.slice(i)]);
}

/** The status of the error a request gets, or undefined when it is accepted. */
function statusOf(msg: string): number | undefined {
  return parse([msg]).error?.[0];
}

test('a simple GET: head, no body, end', () => {
  const { parser, t, events } = recorder();
  const msg = 'GET /a/b?c=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept:  */*  \r\n\r\n';
  assert.equal(parser.feed(Buffer.from(msg)), msg.length);
  assert.deepEqual(events, ['head', 'end']);
  const h = t.head!;
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/a/b?c=1');
  assert.equal(h.http10, false);
  assert.equal(h.contentLength, -1);
  assert.equal(h.chunked, false);
  assert.equal(h.keepAlive, true);
  assert.equal(h.expectContinue, false);
  assert.deepEqual([...h.headers], [['host', 'example.com'], ['user-agent', 't/1'], ['accept', '*/*']]);
  assert.equal(h.headers.get('accept'), '*/*');
  assert.equal(h.headers.has('host'), true);
  assert.equal(h.headers.get('x-missing'), null);
  assert.equal(h.headers.has('x-missing'), false);
});

test('RequestHeaders: a hop-by-hop field is found by its own name, not by its kind', () => {
  const h = parse(['GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nTE: trailers\r\n\r\n']).head!.headers;
  assert.equal(h.get('upgrade'), 'h2c');
  assert.equal(h.get('te'), 'trailers');
  assert.equal(h.get('keep-alive'), null);
  assert.equal(h.has('trailer'), false);
});

test('RequestHeaders.get joins a repeated field with ", "; iteration keeps each', () => {
  const h = parse(['GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nX:  1 \r\naccept: b\r\nVia: 1.1 a\r\nVIA: 1.1 b\r\n\r\n']).head!.headers;
  assert.ok(h instanceof RequestHeaders);
  assert.equal(h.get('accept'), 'a, b');
  assert.equal(h.get('via'), '1.1 a, 1.1 b');
  assert.equal(h.get('x'), '1');
  assert.equal(h.has('via'), true);
  assert.equal(h.has('x-forwarded-for'), false);
  assert.deepEqual([...h], [['host', 'h'], ['accept', 'a'], ['x', '1'], ['accept', 'b'], ['via', '1.1 a'], ['via', '1.1 b']]);
});

test('the method is case-sensitive and obs-text passes in a value', () => {
  const t = parse(['get / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xe9\r\n\r\n']);
  assert.equal(t.head?.method, 'get');
  assert.equal(t.head?.headers.get('x-name'), 'caf\xe9');
});

test('Content-Length body, whatever the split', () => {
  const msg = 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world';
  for (const parts of splits(msg)) {
    const t = parse(parts);
    assert.equal(t.error, undefined, JSON.stringify(parts));
    assert.equal(t.head?.contentLength, 11);
    assert.equal(t.body, 'hello world', JSON.stringify(parts));
    assert.equal(t.ends, 1);
    assert.ok(t.sizes.every((n) => n > 0));
    assert.deepEqual(t.consumed, parts.map((p) => p.length));
  }
});

test('chunked body with an extension and trailers, whatever the split', () => {
  const msg =
    'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;name=value\r\nhello\r\n6\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n';
  for (const parts of splits(msg)) {
    const t = parse(parts);
    assert.equal(t.error, undefined, JSON.stringify(parts));
    assert.equal(t.head?.chunked, true);
    assert.equal(t.head?.contentLength, -1);
    assert.equal(t.body, 'hello world0123456789', JSON.stringify(parts));
    assert.equal(t.ends, 1);
    assert.ok(t.sizes.every((n) => n > 0), JSON.stringify(parts));
    assert.ok(t.sizes.length <= parts.length, `one body report per feed at most: ${JSON.stringify(parts)}`);
    assert.deepEqual(t.consumed, parts.map((p) => p.length));
  }
});

test('the chunks of one feed are reported as one body piece; the head and what follows stay intact', () => {
  const head = 'POST /one HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-A: kept\r\n\r\n';
  const chunks = Array.from({ length: 100 }, (_, i) => `1\r\n${String.fromCharCode(97 + (i % 26))}\r\n`).join('') + '41\r\n' + 'Z'.repeat(65) + '\r\n';
  const first = head + chunks + '0\r\nX-T: 1\r\n\r\n';
  const second = 'GET /two HTTP/1.1\r\nHost: h\r\n\r\n';
  const data = Buffer.from(first + second, 'latin1');
  const { parser, t, events } = recorder();
  const n = parser.feed(data);
  assert.equal(n, first.length);
  assert.deepEqual(events, ['head', 'body', 'end']);
  const expected = Array.from({ length: 100 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('') + 'Z'.repeat(65);
  assert.equal(t.body, expected);
  assert.deepEqual(t.sizes, [165]);
  assert.equal(t.head?.headers.get('x-a'), 'kept');
  assert.equal(t.head?.headers.get('transfer-encoding'), 'chunked');
  assert.equal(data.toString('latin1', n), second, 'the pipelined request is untouched');
  parser.reset();
  assert.equal(parser.feed(data.subarray(n)), second.length);
  assert.equal(t.head?.target, '/two');
});

test('a body that breaks in the feed that carried it: what came before is reported once, then the error', () => {
  const { parser, t, events } = recorder();
  parser.feed(Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\nzz\r\n'));
  assert.deepEqual(events, ['head', 'body', 'error']);
  assert.equal(t.body, 'abc');
  assert.equal(t.error?.[0], 400);
});

test('a request fed one byte at a time', () => {
  const msg = 'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  const t = parse([...msg]);
  assert.equal(t.body, 'abc');
  assert.equal(t.ends, 1);
  assert.deepEqual(t.sizes, [1, 1, 1]);
});

/** A Buffer on its own ArrayBuffer (small Buffer.from(string) results share a pool). */
function own(s: string): Buffer {
  const b = Buffer.from(new ArrayBuffer(s.length));
  b.write(s, 'latin1');
  return b;
}

test('body chunks are views into the fed buffer, also when the head came in pieces', () => {
  const chunks: Uint8Array[] = [];
  const p = new RequestParser({ head: () => {}, body: (c) => chunks.push(c), end: () => {}, error: () => {} });
  const whole = own('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc');
  p.feed(whole);
  assert.equal(chunks[0]!.buffer, whole.buffer);
  const more = own('def');
  p.feed(more);
  assert.equal(chunks[1]!.buffer, more.buffer);
  p.reset();
  p.feed(own('POST / HTTP/1.1\r\nHost: h\r\nCont'));
  const second = own('ent-Length: 3\r\n\r\nxyz');
  p.feed(second);
  assert.equal(Buffer.from(chunks[2]!).toString(), 'xyz');
  assert.equal(chunks[2]!.buffer, second.buffer);
});

test('pipelined requests: feed stops after the first, the rest is fed again after reset()', () => {
  const first = 'POST /one HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc';
  const second = 'GET /two HTTP/1.1\r\nHost: h\r\n\r\n';
  const data = Buffer.from(first + second);
  const { parser, t, events } = recorder();
  const n = parser.feed(data);
  assert.equal(n, first.length);
  assert.deepEqual(events, ['head', 'body', 'end']);
  assert.equal(t.head?.target, '/one');
  assert.equal(parser.feed(data.subarray(n)), 0, 'nothing is consumed before reset()');
  parser.reset();
  assert.equal(parser.feed(data.subarray(n)), second.length);
  assert.equal(t.head?.target, '/two');
  assert.deepEqual(events, ['head', 'body', 'end', 'head', 'end']);
});

test('pipelined after a chunked body and after a body-less request', () => {
  const first = 'POST /one HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n';
  const noBody = 'GET /zero HTTP/1.1\r\nHost: h\r\n\r\n';
  const { parser } = recorder();
  assert.equal(parser.feed(Buffer.from(first + 'GET')), first.length);
  parser.reset();
  assert.equal(parser.feed(Buffer.from(noBody + noBody)), noBody.length);
});

test('a sink calling reset() from end() still stops the feed at the request end', () => {
  const req = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
  let heads = 0;
  const p: RequestParser = new RequestParser({ head: () => heads++, body: () => {}, end: () => p.reset(), error: () => {} });
  assert.equal(p.feed(Buffer.from(req + req)), req.length);
  assert.equal(heads, 1);
});

test('absolute-form targets are reduced to path and query', () => {
  const target = (t: string) => parse([`GET ${t} HTTP/1.1\r\nHost: h\r\n\r\n`]).head?.target;
  assert.equal(target('http://example.com:8080/a/b?c=d'), '/a/b?c=d');
  assert.equal(target('HTTPS://example.com/x'), '/x');
  assert.equal(target('http://example.com'), '/');
  assert.equal(target('http://example.com?q=1'), '/?q=1');
  assert.equal(statusOf('GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n'), 400, 'no authority');
  assert.equal(statusOf('GET ftp://example.com/a HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
});

test('asterisk-form only with OPTIONS; authority-form and CONNECT refused', () => {
  const t = parse(['OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(t.error, undefined);
  assert.equal(t.head?.target, '*');
  assert.equal(statusOf('GET * HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
  assert.equal(statusOf('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), 400);
  assert.equal(statusOf('GET example.com/a HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
});

test('HTTP/1.0 keeps the connection only with Connection: keep-alive', () => {
  const keep = (msg: string) => parse([msg]).head?.keepAlive;
  assert.equal(keep('GET / HTTP/1.0\r\n\r\n'), false);
  assert.equal(keep('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n'), true);
  assert.equal(keep('GET / HTTP/1.0\r\nConnection: foo, keep-alive\r\n\r\n'), true);
  assert.equal(keep('GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n'), false);
  assert.equal(parse(['GET / HTTP/1.0\r\n\r\n']).head?.http10, true);
});

test('HTTP/1.1 keeps the connection unless Connection has close', () => {
  const keep = (msg: string) => parse([msg]).head?.keepAlive;
  assert.equal(keep('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), true);
  assert.equal(keep('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'), false);
  assert.equal(keep('GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade,  CLOSE \r\n\r\n'), false);
  assert.equal(keep('GET / HTTP/1.1\r\nHost: h\r\nConnection: te\r\nConnection: close\r\n\r\n'), false);
  assert.equal(keep('GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n'), true);
});

test('Expect: 100-continue on HTTP/1.1; ignored on 1.0; anything else is 417', () => {
  const t = parse(['PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n']);
  assert.equal(t.head?.expectContinue, true);
  assert.equal(t.ends, 0, 'the body is still to come');
  assert.equal(parse(['PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n']).head?.expectContinue, false);
  assert.equal(statusOf('PUT / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n'), 417);
  assert.equal(statusOf('PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x\r\nContent-Length: 0\r\n\r\n'), 417);
});

test('Content-Length: 0 ends at once', () => {
  const z = recorder();
  z.parser.feed(Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n'));
  assert.deepEqual(z.events, ['head', 'end']);
  assert.equal(z.t.head?.contentLength, 0);
});

test('leading empty lines: a few are skipped, more are refused', () => {
  const t = parse(['\r\n\r\n', '\r', '\nGET / HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(t.error, undefined);
  assert.equal(t.head?.target, '/');
  assert.equal(statusOf('\r\n'.repeat(5) + 'GET / HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
  assert.equal(statusOf('\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
});

const refused: [string, number, string][] = [
  ['two different Content-Lengths', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'],
  ['a Content-Length list', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello'],
  ['two identical Content-Lengths', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok'],
  ['two identical Content-Lengths on a GET', 400, 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok'],
  ['two Content-Lengths of 0', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n'],
  ['a signed Content-Length', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello'],
  ['a 16-digit Content-Length', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456\r\n\r\n'],
  ['Content-Length with Transfer-Encoding', 400, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['TE chunked, identity', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n'],
  ['TE chunked then a second TE field', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n'],
  ['TE chunked twice', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n'],
  ['TE with an empty element', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked,\r\n\r\n'],
  ['TE gzip, chunked', 501, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
  ['TE gzip then chunked in two fields', 501, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['TE in HTTP/1.0', 400, 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['bad chunk size zz', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ['14 hex digits in a chunk size', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n00000000000005\r\nhello\r\n0\r\n\r\n'],
  ['a bare CR in a chunk extension', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;a\rb\r\nok\r\n0\r\n\r\n'],
  ['a bare LF after a chunk size', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n'],
  ['missing CRLF after chunk data', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n'],
  ['a malformed trailer line', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon here\r\n\r\n'],
  ['obs-fold', 400, 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n'],
  ['space before colon', 400, 'GET / HTTP/1.1\r\nHost : h\r\n\r\n'],
  ['an empty field name', 400, 'GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n'],
  ['bare LF in a header line', 400, 'GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n'],
  ['bare LF ending the request line', 400, 'GET / HTTP/1.1\nHost: h\r\n\r\n'],
  ['bare CR in a header value', 400, 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\rX-B: 2\r\n\r\n'],
  ['NUL in a value', 400, 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n'],
  ['DEL in a value', 400, 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n'],
  ['missing Host', 400, 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
  ['two Hosts', 400, 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['two Hosts in HTTP/1.0', 400, 'GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n'],
  ['HTTP/2.0', 505, 'GET / HTTP/2.0\r\nHost: h\r\n\r\n'],
  ['HTTP/1.2', 505, 'GET / HTTP/1.2\r\nHost: h\r\n\r\n'],
  ['garbage version', 400, 'GET / HTTQ/1.1\r\nHost: h\r\n\r\n'],
  ['HTTP/1.1 with a trailing space', 400, 'GET / HTTP/1.1 \r\nHost: h\r\n\r\n'],
  ['lowercase http/1.1', 400, 'GET / http/1.1\r\nHost: h\r\n\r\n'],
  ['two spaces after the method', 400, 'GET  / HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['a non-token method', 400, 'G(T / HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['obs-text in the target', 400, 'GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['a tab in the target', 400, 'GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['no target', 400, 'GET HTTP/1.1\r\nHost: h\r\n\r\n'],
];
for (const [name, status, msg] of refused) {
  test(`refused with ${status}: ${name}`, () => {
    const t = parse([msg]);
    assert.equal(t.error?.[0], status, `${name}: ${JSON.stringify(t.error)}`);
    assert.equal(t.errors, 1);
    assert.equal(t.ends, 0);
  });
}

test('the error comes once, everything is consumed, nothing is reported after it', () => {
  const { parser, t, events } = recorder();
  const bad = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
  assert.equal(parser.feed(Buffer.from(bad)), bad.length);
  assert.deepEqual(events, ['head', 'error'], 'a bad chunk comes after the head');
  const next = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
  assert.equal(parser.feed(Buffer.from(next)), next.length);
  assert.deepEqual(events, ['head', 'error']);
  assert.equal(t.errors, 1);
  assert.equal(parser.inBody, false);
});

test('a bare LF is refused before the head is complete', () => {
  const t = parse(['GET / HTTP/1.1\nHost: h\n']);
  assert.equal(t.error?.[0], 400);
});

test('a head over 64 KiB is 431; one of exactly 64 KiB passes', () => {
  const start = 'GET / HTTP/1.1\r\nHost: h\r\nX: ';
  const exact = start + 'a'.repeat(MAX_REQUEST_HEAD - start.length - 4) + '\r\n\r\n';
  assert.equal(exact.length, MAX_REQUEST_HEAD);
  assert.equal(statusOf(exact), undefined);
  assert.equal(parse(splits(exact)[40_000]!).error, undefined);
  const over = start + 'a'.repeat(MAX_REQUEST_HEAD - start.length - 3) + '\r\n\r\n';
  assert.equal(statusOf(over), 431);
  assert.equal(statusOf(start + 'a'.repeat(70_000)), 431, 'no blank line within the limit');
  assert.equal(parse([start, 'a'.repeat(40_000), 'a'.repeat(40_000)]).error?.[0], 431, 'in pieces');
});

test('100 header fields pass, 101 are 431', () => {
  const fields = (n: number) => 'Host: h\r\n' + Array.from({ length: n - 1 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
  assert.equal(parse([`GET / HTTP/1.1\r\n${fields(100)}\r\n`]).head?.headers.pairs.length, 100);
  assert.equal(statusOf(`GET / HTTP/1.1\r\n${fields(101)}\r\n`), 431);
});

test('trailers over 64 KiB are refused', () => {
  const msg = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n' + 'X-T: 1\r\n'.repeat(9000) + '\r\n';
  assert.equal(statusOf(msg), 400);
});

test('a chunk line over 4096 bytes is refused', () => {
  const msg = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;' + 'e'.repeat(5000) + '\r\na\r\n0\r\n\r\n';
  assert.equal(statusOf(msg), 400);
});

test('idle and inBody follow the request', () => {
  const { parser } = recorder();
  assert.equal(parser.idle, true);
  assert.equal(parser.inBody, false);
  parser.feed(Buffer.from('\r\n'));
  assert.equal(parser.idle, true, 'an empty line before a request is not part of it');
  parser.feed(Buffer.from('POST / HTTP/1.1\r\nHo'));
  assert.equal(parser.idle, false);
  assert.equal(parser.inBody, false);
  parser.feed(Buffer.from('st: h\r\nContent-Length: 4\r\n\r\nab'));
  assert.equal(parser.idle, false);
  assert.equal(parser.inBody, true);
  parser.feed(Buffer.from('cd'));
  assert.equal(parser.inBody, false);
  assert.equal(parser.idle, true, 'between requests after end()');
  parser.reset();
  assert.equal(parser.idle, true);
  parser.feed(Buffer.from('G'));
  assert.equal(parser.idle, false);
});

test('inBody stays true through the chunked trailers', () => {
  const { parser } = recorder();
  parser.feed(Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n'));
  assert.equal(parser.inBody, true);
  parser.feed(Buffer.from('\r\n'));
  assert.equal(parser.inBody, false);
});

test('a partial head is kept as a copy: the caller may reuse its read buffer', () => {
  const t = recorder();
  const readBuffer = Buffer.from('GET /first HTTP/1.1\r\nHo');
  t.parser.feed(readBuffer);
  readBuffer.fill(0x58); // the socket layer reuses the buffer for the next read
  t.parser.feed(Buffer.from('st: h\r\n\r\n'));
  assert.equal(t.t.error, undefined);
  assert.equal(t.t.head?.target, '/first');
});

// Found by the differential fuzz (tests/support/fuzz): Node's llhttp refuses
// these, so golb must not take them (golb may be stricter than llhttp, never looser).
const refusedAsLlhttp: [string, number, string][] = [
  ['a space between a chunk size and its extension', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0 ;a=b\r\n\r\n'],
  ['an HTAB between a chunk size and its extension', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n9\t;a\r\nsome data\r\n0\r\n\r\n'],
  ['a chunk extension with spaces around =', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nc; a = b\r\noshmroae\nels\r\n0\r\n\r\n'],
  ['an HTAB after chunked', 400, 'PUT /f HTTP/1.1\r\nTransfer-Encoding: chunked\t\r\nHost: a\r\n\r\n0\r\n\r\n'],
  ['an HTAB after a Content-Length', 400, 'PUT /f HTTP/1.1\r\nContent-Length: 3\t\r\nHost: a\r\n\r\nabc'],
  ['a Content-Length trailer', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n9;a\r\n\r\r0\r\n\r\n l\r\n0;a=b;c\r\nContent-Length: 5\r\n\r\n'],
  ['a Transfer-Encoding trailer', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['a Connection trailer (llhttp closes on it, golb would read on)', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['an empty chunk extension', 400, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;\r\n\r hl\r\n0\r\n\r\n'],
];
for (const [name, status, msg] of refusedAsLlhttp) {
  test(`refused as llhttp refuses it: ${name} -> ${status}`, () => {
    for (const parts of splits(msg)) assert.equal(parse(parts).error?.[0], status, JSON.stringify(parts));
  });
}

test('HTTP/1.0 keep-alive is not taken from a Connection field with an HTAB, as llhttp does not take it', () => {
  for (const value of ['keep-alive\t', 'x,\tkeep-alive']) {
    assert.equal(parse([`GET / HTTP/1.0\r\nConnection: ${value}\r\n\r\n`]).head?.keepAlive, false, JSON.stringify(value));
  }
  assert.equal(parse(['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n']).head?.keepAlive, true);
  assert.equal(parse(['GET / HTTP/1.1\r\nHost: h\r\nConnection: close\t\r\n\r\n']).head?.keepAlive, false);
});
