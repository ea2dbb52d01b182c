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
 */
export function onReload(golb: Golb, reloaders: readonly Reloader[] = reloadersOf(golb)): void {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): void => {
    if (running !== undefined) {
      again = true;
      return;
    }
    running = reloadAll(reloaders, golb.logger, 'SIGHUP').finally(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };
  process.on('SIGHUP', run);
}
