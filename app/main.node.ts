/**
 * golb on Node.js: `npm run app:node`.
 * @module
 */
import { serve, type HttpBindings } from '@hono/node-server';
import type { Server } from 'node:http';
import { webHandler } from './client-request.ts';
import { isFunctionPath } from './request-target.ts';
import { onShutdown, plainAddress, startGolb } from './start.ts';

const golb = await startGolb(
  {
    clientAddress: (_req, env) => plainAddress((env as HttpBindings).incoming.socket.remoteAddress),
    holdOpen: () => undefined,
  },
  'node',
);

const { app } = golb;
const proxy = webHandler(golb.proxy, golb.deps.runtime);
const server = serve({
  // Function calls go straight to the proxy handler (it never throws); Hono serves the rest.
  fetch: (req, env) => (isFunctionPath(req.url) ? proxy(req, env) : app.fetch(req, env)),
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

// The management port (eb_go_lb_mgmt_port, --mgmt-listen): management only; the traffic port then serves no /1/lb/.
const mgmtApp = golb.managementApp;
let mgmt: Server | undefined;
if (mgmtApp !== undefined) {
  const address = { hostname: golb.config.mgmtHost ?? golb.config.listenHost, port: golb.config.mgmtPort ?? 0 };
  mgmt = serve({ fetch: mgmtApp.fetch, ...address }, () => golb.logger.info('management listening', { address: `${address.hostname}:${address.port}` })) as Server;
}

onShutdown(
  golb,
  () =>
    new Promise<void>((resolve) => {
      // Management stops at once: no API write may land while the source closes.
      mgmt?.close();
      mgmt?.closeAllConnections();
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
