/**
 * One plain HTTP/1.1 GET on a fresh connection, for readiness and the
 * correctness check: nothing pooled, the body read whole as text.
 * @module
 */
import { request } from 'node:http';

/** `GET http://127.0.0.1:<port><path>` → `{ status, body }`; rejects on a network error or after `timeoutMs`. */
export function httpGet(port, path, headers = {}, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
