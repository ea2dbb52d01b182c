/**
 * golb on Node.js: `npm run app:node`. Clients and upstreams both go over
 * `node:net` sockets, with a minor garbage collection after every 16 MiB read
 * (`collectingTransport`).
 * @module
 */
import { collectingTransport } from './net/collecting-transport.ts';
import { serveGolb, serverRuntime } from './serve.ts';
import { startGolb } from './start.ts';

const transport = collectingTransport();
await serveGolb(await startGolb(serverRuntime, 'node', transport), transport);
