/**
 * golb on Bun: `bun run app` (or the compiled `dist/golb`).
 * @module
 */
import type { Server } from 'bun';
import { onShutdown, plainAddress, startGolb } from './start.ts';

const golb = await startGolb(
  {
    clientAddress: (req, env) => plainAddress((env as Server<undefined>).requestIP(req)?.address),
    // Bun's idleTimeout also counts while a handler awaits the upstream: lift it
    // for proxied requests so a function may take minutes (pitfalls.md §2.2).
    holdOpen: (req, env) => (env as Server<undefined>).timeout(req, 0),
  },
  'bun',
);

const server = Bun.serve({
  hostname: golb.config.listenHost,
  port: golb.config.listenPort,
  // golb enforces its own body limit (413 with a JSON body) on every runtime alike.
  maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  // Bun takes whole seconds, 1 to 255.
  idleTimeout: Math.min(255, Math.max(1, Math.ceil(golb.config.clientIdleTimeoutMs / 1000))),
  fetch: (req, srv) => golb.app.fetch(req, srv),
});
golb.logger.info('listening', { address: `${server.hostname}:${server.port}` });

onShutdown(
  golb,
  () => server.stop(false),
  () => void server.stop(true),
);
