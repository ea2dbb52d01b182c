/**
 * golb's stop, as Kubernetes and other load balancers in front need it, and
 * the signals a process manager sends.
 *
 * At SIGTERM or SIGINT golb first says it is going (`/readyz` answers 503,
 * `status: stopping`) and keeps accepting and answering for
 * `eb_go_lb_shutdown_delay`: an endpoint controller, kube-proxy or an
 * ingress take a few seconds to stop sending to a pod that is terminating, and
 * what they still send in that time must not meet a closed port. During the
 * delay every response closes its connection, so clients open new ones, which
 * go where the load balancers in front now send them. Then golb stops
 * listening, lets the requests in flight finish (up to
 * `eb_go_lb_drain_timeout`), closes the weight source and etcd, and exits 0.
 * The drain timeout bounds the whole stop, whatever the source or etcd do:
 * once it passes, the connections left are cut, and closing gets
 * {@link CLOSE_GRACE_MS} more; then golb logs what did not close and exits 0
 * anyway (a weights file on a hung network file system must not keep it up).
 * A second SIGTERM or SIGINT during the delay ends the delay at once (the
 * operator means "now", as with Envoy and nginx); the drain still runs.
 *
 * SIGUSR1 and SIGUSR2, which some process managers send (log rotation), are
 * logged at INFO and ignored: by default they would end Bun and Deno at once,
 * without a drain.
 * @module
 */
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** How long closing the weight source, etcd and the rest may still take once the drain timeout passed, ms. */
export const CLOSE_GRACE_MS = 2000;

/** Whether golb is stopping: `/readyz` reads it (`routes/probes.ts`). */
export class ShutdownState {
  /** True from the first SIGTERM or SIGINT on. */
  stopping = false;
}

/** What {@link onShutdown} drives. */
export interface Stoppable {
  config: Pick<Config, 'shutdownDelayMs' | 'drainTimeoutMs'>;
  logger: Logger;
  shutdown: ShutdownState;
  /** Closes the weight source, etcd and upstream connections, in turn; `closing` hears each one's name as it starts. */
  close(closing?: (what: string) => void): Promise<void>;
}

/** The server's side of a stop. */
export interface ServerStop {
  /** Every response from now on closes its connection; new connections are still accepted. */
  windDown(): void;
  /** Stops listening; resolves when no request is in flight. */
  stop(): Promise<void>;
  /** Closes what is left at once (the drain timeout passed): the requests still in flight are cut by the shutdown. */
  force(): void;
}

/** What a process offers for signals: `node:process` on every runtime. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): never;
}

/** The signals golb logs and otherwise ignores. */
export const IGNORED_SIGNALS: readonly NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2'];

/**
 * Installs the handling of SIGTERM and SIGINT (the delay, then the drain,
 * then exit 0) and of the ignored signals.
 */
export function onShutdown(golb: Stoppable, server: ServerStop, signals: SignalSource = process): void {
  const { config, logger } = golb;
  let delay: ReturnType<typeof setTimeout> | undefined;
  let endDelay: (() => void) | undefined;
  const drain = () => {
    logger.info('shutting down: draining requests in flight', { drainTimeoutMs: config.drainTimeoutMs });
    /** What the stop waits for now, for the log when it never comes. */
    let waitingFor = 'requests in flight';
    let grace: ReturnType<typeof setTimeout> | undefined;
    let exited = false;
    const exit = (): void => {
      if (exited) return;
      exited = true;
      clearTimeout(deadline);
      clearTimeout(grace);
      logger.info('stopped');
      signals.exit(0);
    };
    const deadline = setTimeout(() => {
      if (waitingFor === 'requests in flight') {
        logger.warn('drain timeout reached; closing remaining connections');
        try {
          server.force();
        } catch (err) {
          logger.error('closing the remaining connections failed', { reason: String(err) });
        }
      }
      grace = setTimeout(() => {
        logger.warn('shutdown: did not close in time; exiting anyway', { pending: waitingFor, graceMs: CLOSE_GRACE_MS });
        exit();
      }, CLOSE_GRACE_MS);
    }, config.drainTimeoutMs);
    server
      .stop()
      .catch(() => undefined)
      .then(() => golb.close((what) => (waitingFor = what)))
      .catch((err: unknown) => logger.error('shutdown: closing failed', { pending: waitingFor, reason: String(err) }))
      .finally(exit);
  };
  const stop = (signal: string) => {
    if (golb.shutdown.stopping) {
      // A second signal during the delay: now.
      if (endDelay === undefined) return;
      logger.info('second signal: the shutdown delay ends now', { signal });
      clearTimeout(delay);
      endDelay();
      return;
    }
    golb.shutdown.stopping = true;
    if (config.shutdownDelayMs <= 0) {
      logger.info('stop requested', { signal });
      drain();
      return;
    }
    logger.info('stop requested: /readyz answers 503, still serving for the shutdown delay', { signal, shutdownDelayMs: config.shutdownDelayMs });
    server.windDown();
    endDelay = () => {
      endDelay = undefined;
      drain();
    };
    delay = setTimeout(() => endDelay?.(), config.shutdownDelayMs);
  };
  signals.on('SIGTERM', () => stop('SIGTERM'));
  signals.on('SIGINT', () => stop('SIGINT'));
  for (const signal of IGNORED_SIGNALS) signals.on(signal, () => logger.info('signal ignored', { signal }));
}
