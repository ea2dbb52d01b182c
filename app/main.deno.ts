/**
 * golb on Deno: `deno task app`. Clients are served on `Deno.listen`
 * (`deno-transport.ts`); upstreams go over Deno's `node:net` sockets (a
 * `Deno.connect` transport measured no cheaper), with a minor garbage
 * collection after every 16 MiB read (`collectingTransport`).
 * @module
 */
import { collectingTransport } from './net/collecting-transport.ts';
import { denoTransport } from './net/deno-transport.ts';
import { serveGolb, serverRuntime } from './serve.ts';
import { startGolb } from './start.ts';

const transport = denoTransport(collectingTransport());
await serveGolb(await startGolb(serverRuntime, 'deno', transport), transport);
