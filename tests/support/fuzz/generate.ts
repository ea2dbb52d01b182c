/**
 * The fuzz cases: HTTP/1.1 requests and responses composed from a corpus of
 * valid and smuggling-shaped pieces (Content-Length and Transfer-Encoding
 * variants, obfuscated codings, obs-fold, bare CR and LF, chunk extensions,
 * overflowing sizes, pipelined messages), then mutated byte-wise, then cut at
 * random points (the parsers are incremental: every cut must frame the same).
 * Everything comes from one {@link Prng}, so a case is replayed from its seed.
 * @module
 */
import { Prng } from './prng.ts';

/** One generated input: the bytes, where they are cut into reads, and (responses) the request and the stream's end. */
export interface FuzzCase {
  bytes: Buffer;
  /** Increasing offsets inside `bytes` where a read ends. */
  cuts: number[];
  /** Responses: the request was HEAD. */
  isHead: boolean;
  /** Responses: the upstream closes after the bytes (the end of a read-to-close body). */
  eof: boolean;
}

/** The reads a case is fed as. */
export function pieces(c: FuzzCase): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...c.cuts, c.bytes.length]) {
    out.push(c.bytes.subarray(from, cut));
    from = cut;
  }
  return out;
}

const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'];
const ODD_METHODS = ['get', 'FOO', 'M-SEARCH', 'QUERY', 'CONNECT', 'PRI', 'GET\t', 'PROPFIND', 'G@T', ''];
const TARGETS = ['/', '/a?b=c', '/function/f/x', '/f/%20', 'http://h:1/a', 'http://h', 'https://h/a?b', '//x'];
const ODD_TARGETS = ['*', '/a#f', '/é', 'h:1', '/a b', '/\x7f', 'http://', 'http://h@x/', 'HTTP://H/a'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'];
const ODD_VERSIONS = ['HTTP/2.0', 'HTTP/1.2', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1', 'HTTP/0.9', 'HTTP/1.10', 'HTTP/11', ''];
const HOSTS = ['Host: a', 'Host: a', 'Host: a:80', 'host: a', 'Host:a', 'Host: ', 'Host: a b', 'Host: a\tb', 'Host: [::1]:1'];
const OTHER = [
  'Connection: close', 'Connection: keep-alive', 'Connection: Keep-Alive, x', 'Expect: 100-continue', 'X-A: b', 'X-A:', 'X-A:  b  ',
  'X-A: \x80\xff', 'X-A: a\tb', 'Accept: */*', 'Via: 1.1 x', 'Trailer: T', 'TE: trailers', 'Keep-Alive: timeout=5',
];
const ODD_OTHER = [
  'Connection: upgrade', 'Upgrade: websocket', 'Expect: x', 'X-A: a\x00b', 'X-A: a\x7fb', 'X-A\t: b', 'X A: b', ': b', 'X-A b',
  'Connection: close, close', 'Connection:\tkeep-alive', 'Connection: keep-alive\t', 'X-A: b\r', '\x80: b',
];
/** An extra header line: a usual one, sometimes an odd one. */
function other(r: Prng): string {
  return r.chance(0.08) ? r.pick(ODD_OTHER) : r.pick(OTHER);
}
const TE_NAMES = [
  'Transfer-Encoding', 'Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING', 'Transfer-Encoding ', 'Transfer_Encoding',
  ' Transfer-Encoding', 'Transfer-Encoding\t', 'X-Transfer-Encoding', 'Transfer-Encodings', 'Transfer\x00-Encoding',
];
const TE_VALUES = [
  'chunked', 'chunked', 'chunked', 'Chunked', 'CHUNKED', ' chunked', 'chunked ', '\tchunked', 'chunked\t', 'xchunked', 'chunkedx',
  'chunked, identity', 'identity, chunked', 'gzip, chunked', 'gzip,chunked', 'chunked, chunked', ',chunked', 'chunked,', ', chunked',
  '"chunked"', 'chunk', 'identity', 'gzip', '', 'chunked;q=1', 'chunked\r\n chunked', 'gzip\r\n chunked', 'chun\x00ked',
];
const CL_NAMES = ['Content-Length', 'Content-Length', 'content-length', 'Content-Length ', ' Content-Length', 'Content_Length', 'Content-Length\t'];
const OVERFLOW = ['18446744073709551617', '99999999999999999999', '9007199254740993', '4294967296', '999999999999999'];
const HEX_OVERFLOW = ['ffffffffffffffffff', '10000000000000000', 'fffffffffffffff', '20000000000000', '1fffffffffffff'];
const EXTENSIONS = ['', '', '', ';a=b', ';a', ';a="x y"', ' ;a=b', '\t;a', ';', ';a=b;c', ';a=\x00', ';a=\rb', ';\x80', '; a = b'];
const BODY = 'hello world, this is a body of some length;0\r\n\r\n';

/** A line end: CRLF, or (sometimes) something that only looks like one. */
function eol(r: Prng): string {
  if (!r.chance(0.01)) return '\r\n';
  return r.pick(['\n', '\r', '\r\r\n', '\n\r', ' \r\n', '\r\n\r\n']);
}

/** Body text of `n` bytes. */
function bodyText(r: Prng, n: number): string {
  let s = '';
  while (s.length < n) s += r.chance(0.1) ? r.pick(['\r\n', '\n', '0\r\n\r\n', 'GET / HTTP/1.1\r\n', '\x00', '\xff']) : BODY[r.int(BODY.length)];
  return s.slice(0, n);
}

/** A chunked body (with its framing faults, sometimes): the chunks, the last chunk, trailers, the final CRLF. */
function chunkedBody(r: Prng): string {
  let s = '';
  const chunks = r.int(4);
  for (let i = 0; i < chunks; i++) {
    const n = 1 + r.int(r.chance(0.1) ? 300 : 12);
    let size = n.toString(16);
    if (r.chance(0.1)) size = size.toUpperCase();
    if (r.chance(0.08)) size = '0'.repeat(1 + r.int(20)) + size;
    if (r.chance(0.04)) size = r.pick(HEX_OVERFLOW);
    if (r.chance(0.04)) size = r.pick([' ' + size, size + ' ', '+' + size, '-' + size, '0x' + size, size + 'g', '']);
    const data = bodyText(r, r.chance(0.05) ? n + r.pick([-1, 1, 2]) : n);
    const after = r.chance(0.05) ? r.pick(['', '\n', '\r', 'x\r\n', '\r\n\r\n']) : '\r\n';
    s += size + r.pick(EXTENSIONS) + eol(r) + data + after;
  }
  s += r.pick(['0', '0', '0', '00', '000', '0 ', '0x0']) + r.pick(EXTENSIONS) + eol(r);
  if (r.chance(0.15)) s += r.pick(['T: 1', 'Trailer-X: a', 'X: a\x00', ' folded', 'bad', 'Content-Length: 5', 'T:1\r\nU: 2', 'Connection: close', 'Transfer-Encoding: chunked', 'Host: x', 'T: a\tb']) + eol(r);
  if (!r.chance(0.03)) s += eol(r);
  return s;
}

/** The header lines and body of a message's framing: none, Content-Length, chunked, both, repeats, odd spellings. */
function framing(r: Prng, bodyLess: boolean): { lines: string[]; body: string } {
  const shape = r.int(bodyLess ? 3 : 10);
  const n = r.int(20);
  const clLine = (v: string = String(n)) => `${r.chance(0.1) ? r.pick(CL_NAMES) : 'Content-Length'}:${r.chance(0.9) ? ' ' : r.pick(['', '  ', '\t'])}${v}`;
  const teLine = () => `${r.chance(0.15) ? r.pick(TE_NAMES) : 'Transfer-Encoding'}: ${r.chance(0.3) ? r.pick(TE_VALUES) : 'chunked'}`;
  const oddCl = () => r.pick([`+${n}`, `-${n}`, ` ${n} `, `${n}, ${n}`, `${n},${n}`, `0${n}`, `0x${n}`, `${n}.0`, `${n}e0`, '', `${n} ${n}`, r.pick(OVERFLOW), `${n}\x00`]);
  switch (shape) {
    case 0:
      return { lines: [], body: '' };
    case 1:
      return { lines: [clLine('0')], body: '' };
    case 2:
      return { lines: [clLine()], body: bodyText(r, n) };
    case 3:
      return { lines: [clLine(oddCl())], body: bodyText(r, n + r.int(3)) };
    case 4:
    case 5:
      return { lines: [teLine()], body: chunkedBody(r) };
    case 6: {
      // CL and TE, in either order.
      const lines = [clLine(), teLine()];
      if (r.chance(0.5)) lines.reverse();
      return { lines, body: r.chance(0.5) ? chunkedBody(r) : bodyText(r, n) };
    }
    case 7:
      return { lines: [clLine(), clLine(r.chance(0.5) ? String(n) : String(n + 1))], body: bodyText(r, n) };
    case 8:
      return { lines: [teLine(), teLine()], body: chunkedBody(r) };
    default: {
      // obs-fold around a framing field, or a framing field hidden in another's value.
      const lines = r.pick([
        ['Transfer-Encoding: chunked', ' identity'], ['Transfer-Encoding:', ' chunked'], ['X-A: b', ' Transfer-Encoding: chunked'],
        ['Content-Length: 1', ' 0'], ['X-A: b\rTransfer-Encoding: chunked'], ['X-A: b\nTransfer-Encoding: chunked'],
        ['Transfer-Encoding: identity', 'Transfer-Encoding: chunked'], ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'],
        ['Transfer-Encoding: chunked', 'Content-Length: 0'], ['Content-Length: 0', 'Content-Length: 0'],
      ]);
      return { lines, body: r.chance(0.5) ? chunkedBody(r) : bodyText(r, n) };
    }
  }
}

/** A message from its start line, header lines (shuffled in a little) and framing. */
function message(r: Prng, start: string, lines: string[], frame: { lines: string[]; body: string }): string {
  const all = [...lines];
  for (const line of frame.lines) all.splice(r.int(all.length + 1), 0, line);
  let s = start + eol(r);
  for (const line of all) s += line + eol(r);
  return s + eol(r) + frame.body;
}

/** One request, composed. */
function request(r: Prng): string {
  const method = r.chance(0.05) ? r.pick(ODD_METHODS) : r.pick(METHODS);
  const target = r.chance(0.04) ? r.pick(ODD_TARGETS) : r.pick(TARGETS);
  const version = r.chance(0.04) ? r.pick(ODD_VERSIONS) : r.pick(VERSIONS);
  const sp = () => (r.chance(0.02) ? r.pick(['  ', '\t', '']) : ' ');
  const lines: string[] = [];
  if (!r.chance(0.03)) lines.push(r.chance(0.9) ? 'Host: a' : r.pick(HOSTS));
  if (r.chance(0.02)) lines.push(r.pick(HOSTS));
  for (let i = r.int(3); i > 0; i--) lines.push(other(r));
  return message(r, `${method}${sp()}${target}${sp()}${version}`, lines, framing(r, false));
}

/** One response, composed (a 1xx before it sometimes). */
function response(r: Prng): string {
  let s = '';
  if (r.chance(0.1)) s += r.pick(['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n', 'HTTP/1.1 102 Processing\r\nContent-Length: 2\r\n\r\n']);
  const status = r.chance(0.85)
    ? r.pick(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.0 200 OK', 'HTTP/1.1 404 Not Found', 'HTTP/1.1 204 No Content', 'HTTP/1.1 304 Not Modified', 'HTTP/1.1 500 x'])
    : r.pick(['HTTP/1.1 200', 'HTTP/1.1 200 ', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 2000 OK', 'HTTP/1.1 99 X', 'HTTP/1.2 200 OK', 'HTTP/2 200', 'HTTP/1.1  200 OK', 'http/1.1 200 OK', 'HTTP/1.1 200 O\x00K', 'HTTP/1.1 200 \x80']);
  const lines: string[] = [];
  for (let i = r.int(3); i > 0; i--) lines.push(other(r));
  s += message(r, status, lines, framing(r, false));
  if (r.chance(0.2)) s += r.pick(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', '\r\n', 'x', 'HTTP/1.1 200 OK\r\n']);
  return s;
}

/** Mutates `s` byte-wise: an insert, a replacement, a deletion, a repeated or dropped range. */
function mutate(r: Prng, s: string): string {
  const at = r.int(s.length + 1);
  switch (r.int(6)) {
    case 0:
      return s.slice(0, at) + r.pick(['\r\n', '\n', '\r', ' ', '\t', ':', ';', ',', '0', 'f', '\x00', '\x7f', '\x80', '\xff', 'chunked', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\n']) + s.slice(at);
    case 1:
      return s.slice(0, at) + String.fromCharCode(r.pick([0, 9, 10, 13, 32, 44, 48, 58, 59, 65, 97, 127, 128, 255, r.int(256)])) + s.slice(at + 1);
    case 2:
      return s.slice(0, at) + s.slice(at + 1 + r.int(4));
    case 3: {
      const len = 1 + r.int(20);
      return s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
    }
    case 4:
      return s.slice(0, at);
    default: {
      // Swap the case of a letter (header names and codings compare ignoring it; methods do not).
      const c = s.charCodeAt(at);
      const swapped = c >= 65 && c <= 90 ? c + 32 : c >= 97 && c <= 122 ? c - 32 : c;
      return s.slice(0, at) + String.fromCharCode(swapped) + s.slice(at + 1);
    }
  }
}

/** Random cuts in `n` bytes: none, a few, or (rarely) every byte alone. */
function cutsOf(r: Prng, n: number): number[] {
  if (n > 1 && r.chance(0.05)) return Array.from({ length: n - 1 }, (_, i) => i + 1);
  const cuts = new Set<number>();
  for (let k = r.int(5); k > 0; k--) cuts.add(r.int(n + 1));
  return [...cuts].sort((a, b) => a - b);
}

/** The pieces of a message stream: 1 to 3 messages (pipelined), each mutated a few times, sometimes none. */
function stream(r: Prng, one: (r: Prng) => string, most: number): string {
  let s = '';
  const count = 1 + (r.chance(0.3) ? r.int(most) : 0);
  for (let i = 0; i < count; i++) s += (i > 0 && r.chance(0.1) ? '\r\n' : '') + one(r);
  for (let k = r.chance(0.6) ? 0 : 1 + r.int(2); k > 0; k--) s = mutate(r, s);
  return s;
}

/** A request case: up to three pipelined requests, from `seed`. */
export function requestCase(seed: number): FuzzCase {
  const r = new Prng(seed);
  const bytes = Buffer.from(stream(r, request, 3), 'latin1');
  return { bytes, cuts: cutsOf(r, bytes.length), isHead: false, eof: false };
}

/** A response case: a response (maybe after a 1xx, maybe with bytes after it), to a HEAD request or not, from `seed`. */
export function responseCase(seed: number): FuzzCase {
  const r = new Prng(seed);
  const bytes = Buffer.from(stream(r, response, 1), 'latin1');
  const isHead = r.chance(0.15);
  const eof = r.chance(0.5);
  return { bytes, cuts: cutsOf(r, bytes.length), isHead, eof };
}
