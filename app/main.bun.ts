/**
 * golb on Bun: `bun run app` (or the compiled `dist/golb`). Clients and
 * upstreams both go over Bun's native sockets (`Bun.listen`, `Bun.connect`).
 * @module
 */
import { bunTransport } from './net/bun-transport.ts';
import { serveGolb, serverRuntime } from './serve.ts';
import { startGolb } from './start.ts';

await serveGolb(await startGolb(serverRuntime, 'bun', bunTransport), bunTransport);
