import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRequestHead, requestHeadSize } from '../../../app/proxy/request-head.ts';
import { textHeaderLines } from '../../../app/proxy/forward-headers.ts';
import type { UpstreamRequest } from '../../../app/proxy/engine.ts';

function head(method: string, body: ReadableStream<Uint8Array> | null, bodyLength: number | undefined): string {
  const req: UpstreamRequest = {
    method, target: '/x?y=1', host: '127.0.0.1', port: 8080, address: '127.0.0.1:8080',
    headers: textHeaderLines('x-a: 1\r\n'), body, bodyLength, maxBodySize: 1 << 20, signal: undefined,
  };
  const buf = Buffer.alloc(requestHeadSize(req));
  return buf.toString('latin1', 0, renderRequestHead(buf, req));
}

test('renderRequestHead: the request line, Host, the header lines, then the framing line', () => {
  assert.equal(head('GET', null, undefined), 'GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-a: 1\r\n\r\n');
  assert.equal(head('POST', null, undefined), 'POST /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-a: 1\r\nContent-Length: 0\r\n\r\n');
  const body = new ReadableStream<Uint8Array>();
  assert.equal(head('PUT', body, 5), 'PUT /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-a: 1\r\nContent-Length: 5\r\n\r\n');
  assert.equal(head('POST', body, undefined), 'POST /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-a: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
});
