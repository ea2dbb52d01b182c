/**
 * SIGHUP: re-read what golb was configured from, without a restart. One
 * place calls a list of reloaders, each on its own: the weights file today
 * (the weight source's `reload()`), certificates when golb serves TLS. With
 * etcd the weights are followed by the watch and SIGHUP changes nothing; the
 * log says so.
 *
 * SIGHUP is never fatal: without a handler Node, Bun and Deno end the process
 * on it (its default action), and a reloader that fails is logged while
 * golb serves on with what it has.
 * @module
 */
import type { Logger } from './logger.ts';
import type { WeightSource } from './sources/source.ts';
import type { Golb } from './start.ts';
import type { AppDeps } from './deps.ts';
import type { SignalSource } from './shutdown.ts';

/** A reload running this long is logged at WARN, and a SIGHUP then starts no other, ms. */
export const RELOAD_STUCK_MS = 5000;

/** One thing SIGHUP re-reads. */
export interface Reloader {
  /** What it re-reads, for the log: `weights`. */
  name: string;
  reload(): Promise<void>;
}

/** The weight source's reloader: the file re-read, or a line saying etcd needs none. */
export function weightsReloader(source: WeightSource, logger: Logger): Reloader {
  return {
    name: 'weights',
    async reload() {
      if (source.reload === undefined) {
        logger.info('SIGHUP: the weights come from etcd and are followed by its watch; nothing to re-read', { source: source.kind });
        return;
      }
      await source.reload();
    },
  };
}

/** Every reloader of a started golb, in order. */
export function reloadersOf(golb: Golb): Reloader[] {
  return [weightsReloader(golb.deps.source, golb.logger)];
}

/** Runs each reloader in turn; a failure is logged and the next one still runs. Never rejects. */
export async function reloadAll(reloaders: readonly Reloader[], logger: Logger, signal: string): Promise<void> {
  logger.info('reloading', { signal, what: reloaders.map((r) => r.name).join(',') });
  for (const reloader of reloaders) {
    try {
      await reloader.reload();
    } catch (err) {
      logger.error('reload failed; serving on with what was loaded', { what: reloader.name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  logger.info('reloaded', { signal });
}

/**
 * Installs the SIGHUP handler. Signals that come while a reload runs are
 * folded into one more reload after it, so a burst never piles up re-reads.
 * A reload still running after {@link RELOAD_STUCK_MS} (a weights file on a
 * hung network file system) is logged at WARN, and a SIGHUP that comes then
 * is told so (WARN) and starts nothing: another read of the same file would
 * hang too, and each hung read holds one of the runtime's few file threads.
 * @param signals where SIGHUP comes from (the process)
 * @param stuckMs how long a reload runs before it counts as stuck ({@link RELOAD_STUCK_MS})
 * @returns what a SIGHUP does: the caller runs it once for a SIGHUP that came before the handler was in (`early-signals.ts`)
 */
export function onReload(
  golb: Pick<Golb, 'logger'> & { deps: Pick<AppDeps, 'monotonic'> },
  reloaders: readonly Reloader[],
  signals: Pick<SignalSource, 'on'> = process,
  stuckMs = RELOAD_STUCK_MS,
): () => void {
  const { logger, deps } = golb;
  const what = reloaders.map((r) => r.name).join(',');
  let running: Promise<void> | undefined;
  let startedAt = 0;
  let again = false;
  const run = (): void => {
    if (running !== undefined) {
      const runningForMs = Math.round(deps.monotonic() - startedAt);
      if (runningForMs >= stuckMs) {
        logger.warn('SIGHUP: a reload is still running; this one starts no other read', { what, runningForMs });
        return;
      }
      again = true;
      return;
    }
    startedAt = deps.monotonic();
    const stuck = setTimeout(() => logger.warn('reload still running; the weights stay as they were', { what, afterMs: stuckMs }), stuckMs);
    (stuck as { unref?: () => void }).unref?.();
    running = reloadAll(reloaders, logger, 'SIGHUP').finally(() => {
      clearTimeout(stuck);
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };
  signals.on('SIGHUP', run);
  return run;
}
