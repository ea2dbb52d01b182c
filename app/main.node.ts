/**
 * golb on Node.js: `npm run app:node`. Clients and upstreams both go over
 * `node:net` sockets.
 * @module
 */
import { nodeTransport } from './proxy/node-transport.ts';
import { serveGolb, serverRuntime } from './serve.ts';
import { startGolb } from './start.ts';

await serveGolb(await startGolb(serverRuntime, 'node', nodeTransport), nodeTransport);
