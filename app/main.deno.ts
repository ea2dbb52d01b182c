/**
 * golb on Deno: `deno task app`. Clients and upstreams both go over Deno's
 * `node:net` sockets (a `Deno.connect` transport measured no cheaper), with a
 * minor garbage collection after every 16 MiB read (`denoTransport`).
 * @module
 */
import { denoTransport } from './proxy/deno-transport.ts';
import { serveGolb, serverRuntime } from './serve.ts';
import { startGolb } from './start.ts';

const transport = denoTransport();
await serveGolb(await startGolb(serverRuntime, 'deno', transport), transport);
