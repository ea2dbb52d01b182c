/**
 * golb on Bun: `bun run app` (or the compiled `dist/golb`).
 * @module
 */
import type { Server } from 'bun';
import { bunTransport } from './proxy/bun-transport.ts';
import { webHandler } from './client-request.ts';
import { isFunctionPath } from './request-target.ts';
import { onShutdown, plainAddress, startGolb } from './start.ts';

const golb = await startGolb(
  {
    clientAddress: (req, env) => plainAddress((env as Server<undefined>).requestIP(req)?.address),
    // Bun's idleTimeout also counts while a handler awaits the upstream: lift it
    // for proxied requests so a function may take minutes (pitfalls.md §2.2).
    holdOpen: (req, env) => (env as Server<undefined>).timeout(req, 0),
  },
  'bun',
  bunTransport,
);

const { app } = golb;
const proxy = webHandler(golb.proxy, golb.deps.runtime);
const server = Bun.serve({
  hostname: golb.config.listenHost,
  port: golb.config.listenPort,
  // golb enforces its own body limit (413 with a JSON body) on every runtime alike.
  maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  // Bun takes whole seconds, 1 to 255.
  idleTimeout: Math.min(255, Math.max(1, Math.ceil(golb.config.clientIdleTimeoutMs / 1000))),
  // The hot path: function calls go straight to the proxy handler (it never
  // throws); Hono's router, Context and URL parsing serve everything else.
  fetch: (req, srv) => (isFunctionPath(req.url) ? proxy(req, srv) : app.fetch(req, srv)),
});
golb.logger.info('listening', { address: `${server.hostname}:${server.port}` });

// The management port (eb_go_lb_mgmt_port, --mgmt-listen): management only; the traffic port then serves no /1/lb/.
const mgmtApp = golb.managementApp;
const mgmt = mgmtApp === undefined ? undefined : Bun.serve({ hostname: golb.config.mgmtHost ?? golb.config.listenHost, port: golb.config.mgmtPort, fetch: (req, srv) => mgmtApp.fetch(req, srv) });
if (mgmt !== undefined) golb.logger.info('management listening', { address: `${mgmt.hostname}:${mgmt.port}` });

onShutdown(
  golb,
  () => {
    // Management stops at once: no API write may land while the source closes.
    void mgmt?.stop(true);
    return server.stop(false);
  },
  () => void server.stop(true),
);
