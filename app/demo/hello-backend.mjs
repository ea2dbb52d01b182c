/**
 * The demo function behind `npm start`: a tiny HTTP server that golb routes
 * `/function/hello/…` to (app/demo/weights.json lists it). It answers with a
 * greeting and what it received, so a first `curl` shows what golb forwards:
 * the stripped path, the method, and golb's `Via` and `X-Forwarded-For`.
 *
 * Plain JavaScript on node:http, run inside scripts/start-demo.mjs: the demo
 * needs nothing but Node, and golb itself runs beside it on Bun.
 * @module
 */
import { createServer } from 'node:http';

/** The port the demo backend listens on unless `GOLB_DEMO_PORT` says otherwise (app/demo/weights.json names it). */
export const DEMO_PORT = 8090;

/**
 * Starts the demo backend on loopback.
 * @param {{ host?: string, port?: number }} [options]
 * @returns {Promise<{ address: string, close: () => Promise<void> }>} resolves once it listens; rejects on a listen error (e.g. EADDRINUSE)
 */
export function startHelloBackend({ host = '127.0.0.1', port = DEMO_PORT } = {}) {
  const server = createServer((req, res) => {
    // Drain the body so keep-alive connections stay usable; the demo only reports its size.
    let bodyBytes = 0;
    req.on('data', (chunk) => (bodyBytes += chunk.length));
    req.on('end', () => {
      const lines = [
        "Hello from golb's demo function",
        `method: ${req.method}`,
        `path: ${req.url}`,
        `body: ${bodyBytes} bytes`,
        `via: ${req.headers.via ?? '-'}`,
        `x-forwarded-for: ${req.headers['x-forwarded-for'] ?? '-'}`,
      ];
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(lines.join('\n') + '\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        address: `${host}:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
