/**
 * golb on Node.js: `npm run app:node`.
 * @module
 */
import { serve, type HttpBindings } from '@hono/node-server';
import type { Server } from 'node:http';
import { onShutdown, plainAddress, startGolb } from './start.ts';

const golb = await startGolb(
  {
    clientAddress: (_req, env) => plainAddress((env as HttpBindings).incoming.socket.remoteAddress),
    holdOpen: () => undefined,
  },
  'node',
);

const server = serve({
  fetch: golb.app.fetch,
  hostname: golb.config.listenHost,
  port: golb.config.listenPort,
  serverOptions: {
    // A function may take minutes: no whole-request deadline (Node's default is
    // 300 s); slow headers are still cut off.
    requestTimeout: 0,
    headersTimeout: 20_000,
    keepAliveTimeout: golb.config.clientIdleTimeoutMs,
  },
}) as Server;
server.on('listening', () => golb.logger.info('listening', { address: `${golb.config.listenHost}:${golb.config.listenPort}` }));

onShutdown(
  golb,
  () =>
    new Promise<void>((resolve) => {
      // close() only closes connections idle at this moment; one busy with a
      // request goes idle after its response and, kept alive by the client,
      // would hold the drain open until its timeout. Sweep until closed.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    }),
  () => server.closeAllConnections(),
);
