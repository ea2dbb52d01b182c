/**
 * What every weight source (the embedded file, etcd) offers the rest of golb.
 * A source owns the I/O; it decodes values with `function-value.ts` and writes
 * the good ones into the `WeightTable`.
 * @module
 */
import type { FunctionSpec } from './function-value.ts';

/** A place weights come from. */
export interface WeightSource {
  /** `embedded` or `etcd`. */
  readonly kind: string;
  /** Loads the first snapshot and starts following changes. Resolves once loaded. */
  start(): Promise<void>;
  /** True once the first load is in (`/readyz`). */
  readonly ready: boolean;
  /** Values refused since start (metrics). */
  readonly refused: number;
  /**
   * The store revision the function's value in the table came from (etcd's
   * mod revision); absent for sources without revisions (the file), and
   * undefined for a function the source did not give (discovery's).
   */
  revisionOf?(fn: string): number | undefined;
  /** Writes one function's value (management); it comes back through the watch. */
  put(fn: string, spec: FunctionSpec): Promise<void>;
  /** Removes one function (management). */
  remove(fn: string): Promise<void>;
  /**
   * Re-reads the source now and logs what changed (SIGHUP, `app/reload.ts`);
   * absent where nothing is re-read on request (etcd is followed by its watch).
   */
  reload?(): Promise<void>;
  /** Stops following changes and releases resources. */
  close(): Promise<void>;
}
