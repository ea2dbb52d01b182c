/**
 * golb on Bun: `bun run app` (or the compiled `dist/golb`). Clients and
 * upstreams both go over Bun's native sockets (`Bun.listen`, `Bun.connect`).
 * @module
 */
// Signals first: the rest of golb loads after them (`early-signals.ts`).
import { holdSignals } from './early-signals.ts';

const early = holdSignals();
const { bunTransport } = await import('./net/bun-transport.ts');
const { serveGolb, serverRuntime } = await import('./serve.ts');
const { startGolb } = await import('./start.ts');
await serveGolb(await startGolb(serverRuntime, 'bun', bunTransport), bunTransport, early);
