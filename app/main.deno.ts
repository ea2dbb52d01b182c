/**
 * golb on Deno: `deno task app`.
 * @module
 */
import { webHandler } from './client-request.ts';
import { isFunctionPath } from './request-target.ts';
import { onShutdown, plainAddress, startGolb } from './start.ts';

const golb = await startGolb(
  {
    clientAddress: (_req, env) => plainAddress((env as Deno.ServeHandlerInfo<Deno.NetAddr>).remoteAddr.hostname),
    holdOpen: () => undefined,
  },
  'deno',
);

const { app } = golb;
const proxy = webHandler(golb.proxy, golb.deps.runtime);
const server = Deno.serve(
  {
    hostname: golb.config.listenHost,
    port: golb.config.listenPort,
    onListen: ({ hostname, port }) => golb.logger.info('listening', { address: `${hostname}:${port}` }),
  },
  // Function calls go straight to the proxy handler (it never throws); Hono serves the rest.
  (req, info) => (isFunctionPath(req.url) ? proxy(req, info) : app.fetch(req, info)),
);

// The management port (eb_go_lb_mgmt_port, --mgmt-listen): management only; the traffic port then serves no /1/lb/.
const mgmtApp = golb.managementApp;
const mgmt =
  mgmtApp === undefined
    ? undefined
    : Deno.serve(
        {
          hostname: golb.config.mgmtHost ?? golb.config.listenHost,
          port: golb.config.mgmtPort,
          onListen: ({ hostname, port }) => golb.logger.info('management listening', { address: `${hostname}:${port}` }),
        },
        (req, info) => mgmtApp.fetch(req, info),
      );

onShutdown(
  golb,
  () => {
    // Management stops at once: no API write may land while the source closes.
    void mgmt?.shutdown();
    return server.shutdown();
  },
  () => void server.unref(),
);
