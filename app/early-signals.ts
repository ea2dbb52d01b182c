/**
 * The signals golb handles from the first moment its code runs, before the
 * configuration is read and the server built: without a handler Bun, Deno
 * and Node end the process on SIGHUP, SIGUSR1 and SIGUSR2, and loading golb
 * takes up to a second, during which a process manager's reload or log
 * rotation would have killed it. The runtime entries (`main.*.ts`) install
 * these first, then load the rest of golb; `serve.ts` hands over to the real
 * handlers (`reload.ts`, `shutdown.ts`) once they are installed.
 *
 * Until then: SIGTERM and SIGINT end golb at once with exit 0 (nothing is
 * served yet, so nothing is to drain); SIGHUP is remembered, and the reload
 * it asks for runs once the reload handler is in; SIGUSR1 and SIGUSR2 are
 * ignored. This module imports nothing, so it loads in no time.
 * @module
 */

/** What holding the signals needs of a process: `node:process` on every runtime. */
export interface EarlySignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): never;
  readonly stderr: { write(text: string): unknown };
}

/** Signals held from the start, until {@link EarlySignals.handOver}. */
export interface EarlySignals {
  /**
   * Removes the early handlers (call it right after the real ones are
   * installed, in the same turn, so no signal falls between). Returns whether
   * a SIGHUP came meanwhile: the caller runs that reload.
   */
  handOver(): { hangUp: boolean };
}

/** The signals held early: the stopping ones and the ones golb never dies of. */
const STOPPING: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const IGNORED: readonly NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2'];

/** Installs the early handlers on `signals` (the process); they stay until {@link EarlySignals.handOver}. */
export function holdSignals(signals: EarlySignalSource = process): EarlySignals {
  let hangUp = false;
  const installed: [NodeJS.Signals, () => void][] = [];
  for (const signal of STOPPING) {
    installed.push([
      signal,
      () => {
        signals.stderr.write(`golb: ${signal} before serving: stopped\n`);
        signals.exit(0);
      },
    ]);
  }
  installed.push(['SIGHUP', () => (hangUp = true)]);
  for (const signal of IGNORED) installed.push([signal, () => undefined]);
  for (const [signal, listener] of installed) signals.on(signal, listener);
  return {
    handOver() {
      for (const [signal, listener] of installed) signals.off(signal, listener);
      return { hangUp };
    },
  };
}
