/**
 * Serving a started golb on every runtime alike: golb's own HTTP/1.1 server
 * (`app/server/`) on the runtime's sockets (`Transport`), for the traffic
 * port and, when one is set, the management port; and the drain at
 * shutdown. The runtime entries (`main.*.ts`) differ only in the transport.
 * @module
 */
import type { RuntimeAdapter } from './deps.ts';
import type { Transport } from './net/transport.ts';
import { Http1Server } from './server/http1-server.ts';
import type { ConnectionGate } from './server/connection-gate.ts';
import { codeOfStatus } from './errors.ts';
import { addressText, describeListenError } from './net/listen-error.ts';
import type { ClientConnection } from './server/connection.ts';
import { onReload, reloadersOf } from './reload.ts';
import type { Golb } from './start.ts';
import { onShutdown } from './shutdown.ts';
import type { EarlySignals } from './early-signals.ts';

/** How the web app reads a request's client under golb's server: `env` is the client connection. */
export const serverRuntime: RuntimeAdapter = {
  clientAddress: (_req, env) => (env as ClientConnection).remoteAddress,
};

/**
 * Listens on the traffic port (and the management port), stops at
 * SIGTERM/SIGINT (`shutdown.ts`) and reloads at SIGHUP (`reload.ts`). A port
 * it cannot take stops golb (exit 1).
 * @param early the signal handlers the runtime entry installed first (`early-signals.ts`), handed over here
 */
export async function serveGolb(golb: Golb, transport: Transport, early?: EarlySignals): Promise<void> {
  const { config, logger } = golb;
  const origin = { zone: config.zone, node: config.nodeName };
  const onError = (err: unknown) => logger.error('unhandled error', { reason: String(err), stack: err instanceof Error ? err.stack : undefined });
  const common = {
    idleTimeoutMs: config.clientIdleTimeoutMs,
    bodyTimeoutMs: config.clientBodyTimeoutMs,
    // A body over the size limit is refused by the route at once: never buffered first.
    requestBufferBytes: Math.min(config.requestBufferSize, config.maxBodySize),
    onError,
    origin,
    timer: golb.deps.timer,
    now: golb.deps.now,
  };
  const { traffic: trafficGate, management: mgmtGate } = golb.gates;
  /** Counts (and, with the access log on, logs) what a listener's server refused itself. */
  const refusals = (gate: ConnectionGate) => (status: number, reason: string, client: string): void => {
    const error = codeOfStatus(status);
    gate.requestRefused(error);
    golb.deps.observer.refused(error);
    if (config.accessLog) logger.info('access', { client, status, error, reason, listener: gate.listener });
    else logger.debug('request refused', { client, status, error, reason, listener: gate.listener });
  };
  const traffic = new Http1Server({ ...common, proxy: golb.proxy, direct: golb.direct, fetch: golb.fetch, admission: trafficGate, onRefused: refusals(trafficGate) });
  const mgmtApp = golb.managementApp;
  // The management port (eb_go_lb_mgmt_port, --mgmt-listen): management only; the traffic port then serves no /1/lb/.
  // Its own cap: a flood on the traffic port leaves it reachable.
  const mgmt =
    mgmtApp === undefined || mgmtGate === undefined
      ? undefined
      : new Http1Server({ ...common, proxy: undefined, direct: golb.direct, fetch: mgmtApp.fetch, admission: mgmtGate, onRefused: refusals(mgmtGate) });
  // Before listening: from the moment golb is reachable, a SIGHUP must not end
  // it and a SIGTERM drains. The early handlers go in the same turn.
  onShutdown(golb, {
    // During the shutdown delay both ports serve; every response closes its connection.
    windDown: () => {
      traffic.windDown();
      mgmt?.windDown();
    },
    stop: async () => {
      // The trace streams end first, cleanly, on either port (a reader would otherwise hold the drain).
      await golb.deps.traces?.close();
      // Management stops at once: no API write may land while the source closes.
      mgmt?.destroy();
      return traffic.stop();
    },
    force: () => traffic.destroy(),
  });
  const reload = onReload(golb, reloadersOf(golb));
  // Every signal has its real handler now (Deno restores a signal's default action once it has no listener).
  if (early?.handOver().hangUp === true) reload();
  // Each listener's failure names its address, port and the system's code, the same on every runtime.
  const listenOrExit = async (server: Http1Server, listener: string, host: string, port: number): Promise<void> => {
    try {
      const bound = await server.listen(transport, host, port);
      logger.info(listener === 'traffic' ? 'listening' : 'management listening', { address: addressText(host, bound) });
    } catch (err) {
      const failure = describeListenError(err, host, port);
      logger.error(`cannot listen on ${failure.address}: ${failure.code} (${failure.reason})`, { listener, ...failure });
      process.exit(1);
    }
  };
  await listenOrExit(traffic, 'traffic', config.listenHost, config.listenPort);
  if (mgmt !== undefined) await listenOrExit(mgmt, 'management', config.mgmtHost ?? config.listenHost, config.mgmtPort ?? 0);
}
