/**
 * golb on Node.js: `npm run app:node`. Clients and upstreams both go over
 * `node:net` sockets, with a minor garbage collection after every 16 MiB read
 * (`collectingTransport`).
 * @module
 */
// Signals first: the rest of golb loads after them (`early-signals.ts`).
import { holdSignals } from './early-signals.ts';

const early = holdSignals();
const { collectingTransport } = await import('./net/collecting-transport.ts');
const { serveGolb, serverRuntime } = await import('./serve.ts');
const { startGolb } = await import('./start.ts');
const transport = collectingTransport();
await serveGolb(await startGolb(serverRuntime, 'node', transport), transport, early);
