/**
 * golb on Deno: `deno task app`.
 * @module
 */
import { onShutdown, plainAddress, startGolb } from './start.ts';

const golb = await startGolb(
  {
    clientAddress: (_req, env) => plainAddress((env as Deno.ServeHandlerInfo<Deno.NetAddr>).remoteAddr.hostname),
    holdOpen: () => undefined,
  },
  'deno',
);

const server = Deno.serve(
  {
    hostname: golb.config.listenHost,
    port: golb.config.listenPort,
    onListen: ({ hostname, port }) => golb.logger.info('listening', { address: `${hostname}:${port}` }),
  },
  (req, info) => golb.app.fetch(req, info),
);

onShutdown(
  golb,
  () => server.shutdown(),
  () => void server.unref(),
);
