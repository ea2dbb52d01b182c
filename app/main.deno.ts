/**
 * golb on Deno: `deno task app`. Clients and upstreams both go over Deno's
 * `node:net` sockets (a `Deno.connect` transport measured no cheaper).
 * @module
 */
import { nodeTransport } from './proxy/transport.ts';
import { serveGolb, serverRuntime } from './serve.ts';
import { startGolb } from './start.ts';

await serveGolb(await startGolb(serverRuntime, 'deno', nodeTransport), nodeTransport);
