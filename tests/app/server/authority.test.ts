import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorityTextOk } from '../../../app/server/authority.ts';
import { RequestParser, type RequestHead } from '../../../app/server/request-parser.ts';

const GOOD = ['', 'gw', 'gw:8080', 'gw:', '10.0.0.1', '10.0.0.1:80', '[::1]', '[::1]:8080', '[2001:db8::1]', '[::ffff:10.0.0.1]:1', '[::1]:',
  'a_b.example', 'a-b~c', "a!$&'()*+,;=b", 'caf%C3%A9.example', 'x:65535', 'x:00080'];
const BAD = ['a/metrics?', 'x/function/echo/viaHost?', 'a?b', 'a#b', 'user@a', 'a b', 'a\\b', 'a:99999', 'a:65536', 'a:8x', 'a:123456',
  '[::1', '[::1]x', '[v1.x]', '[g::1]', '[1]', 'a%4', 'a%zz', 'a:1:2', 'café', 'a"b', 'a<b', 'a{b}', 'a|b', 'a^b', 'a`b'];

test('authority: host[:port] with a reg-name, IPv4 or IPv6 literal is accepted (RFC 3986 §3.2.2)', () => {
  for (const a of GOOD) assert.equal(authorityTextOk(a), true, JSON.stringify(a));
});

test('authority: anything that could move a path, userinfo, a bad port or literal is refused', () => {
  for (const a of BAD) assert.equal(authorityTextOk(a), false, JSON.stringify(a));
});

/** Feeds one request; the head, or the error status. */
function parse(text: string): RequestHead | number {
  let head: RequestHead | undefined;
  let status: number | undefined;
  const p = new RequestParser({ head: (h) => (head = h), body: () => undefined, end: () => undefined, error: (s) => (status = s) });
  p.feed(Buffer.from(text, 'latin1'));
  return status ?? head!;
}

test('request parser: a Host outside host[:port] is 400; a good one passes', () => {
  assert.equal(parse('GET /static/logo.png HTTP/1.1\r\nHost: a/metrics?\r\n\r\n'), 400);
  assert.equal(parse('GET / HTTP/1.1\r\nHost: user@a\r\n\r\n'), 400);
  const head = parse('GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n');
  assert.ok(typeof head !== 'number');
  assert.equal(head.authority, undefined, 'origin-form has no authority of its own');
});

test('request parser: absolute-form keeps its authority (it stands for Host) and checks it', () => {
  const head = parse('GET http://gw:8080/function/f/x?q HTTP/1.1\r\nHost: other\r\n\r\n');
  assert.ok(typeof head !== 'number');
  assert.equal(head.target, '/function/f/x?q');
  assert.equal(head.authority, 'gw:8080');
  const bare = parse('GET http://gw?q HTTP/1.1\r\nHost: gw\r\n\r\n');
  assert.ok(typeof bare !== 'number');
  assert.deepEqual([bare.target, bare.authority], ['/?q', 'gw']);
  assert.equal(parse('GET http://user@gw/x HTTP/1.1\r\nHost: gw\r\n\r\n'), 400);
  assert.equal(parse('GET http://gw:99999/x HTTP/1.1\r\nHost: gw\r\n\r\n'), 400);
});
