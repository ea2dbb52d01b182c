/**
 * golb on Deno: `deno task app`. Clients are served on `Deno.listen`
 * (`deno-transport.ts`); upstreams go over Deno's `node:net` sockets (a
 * `Deno.connect` transport measured no cheaper), with a minor garbage
 * collection after every 16 MiB read (`collectingTransport`).
 * @module
 */
// Signals first: the rest of golb loads after them (`early-signals.ts`).
import { holdSignals } from './early-signals.ts';

const early = holdSignals();
const { collectingTransport } = await import('./net/collecting-transport.ts');
const { denoTransport } = await import('./net/deno-transport.ts');
const { serveGolb, serverRuntime } = await import('./serve.ts');
const { startGolb } = await import('./start.ts');
const transport = denoTransport(collectingTransport());
await serveGolb(await startGolb(serverRuntime, 'deno', transport), transport, early);
