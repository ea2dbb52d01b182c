import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonHeadLines, refusalHead, webHeadLines } from '../../../app/server/own-answers.ts';

test("a web Response's lines: framing and connection headers left to the writer, a control byte's header dropped, date and request id added when missing", () => {
  const res = new Response('{}', { headers: { 'content-type': 'application/json', 'content-length': '2', connection: 'close', 'x-note': 'ok' } });
  const lines = webHeadLines(res, 'Mon, 07 Dec 2026 22:00:00 GMT', 'gw-1');
  assert.equal(lines.length, 2);
  assert.equal(lines.text, 'content-length: 2\r\ncontent-type: application/json\r\nx-note: ok\r\ndate: Mon, 07 Dec 2026 22:00:00 GMT\r\nx-request-id: gw-1\r\n');
  const own = webHeadLines(new Response(null, { headers: { date: 'then', 'x-request-id': 'mine' } }), 'now', 'gw-1');
  assert.deepEqual(own, { text: 'date: then\r\nx-request-id: mine\r\n', length: -1 });
});

test('the JSON answer and the refusal heads', () => {
  assert.equal(jsonHeadLines(15, 'D'), 'content-type: application/json\r\ncontent-length: 15\r\ndate: D\r\n');
  const head = refusalHead(431, 40, 'D');
  assert.match(head, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(head, /content-length: 40\r\ndate: D\r\nconnection: close\r\n\r\n$/);
  assert.match(head, /content-type: application\/json; charset=utf-8\r\n/);
});
