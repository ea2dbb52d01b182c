/**
 * The warnings the weight sources raise through `app/warnings.ts` (listed in
 * `/readyz`'s body while in force): their codes, and the one every source
 * shares, a table with no function after a load. docs/operations.md says what
 * each means and what to do.
 * @module
 */
import type { Warnings } from '../warnings.ts';

/** No function after a load: every `/function/` request answers 404. */
export const NO_FUNCTIONS = 'no_functions';
/** The weights file does not exist (a typo in `eb_go_lb_weights_file`?). */
export const WEIGHTS_FILE_MISSING = 'weights_file_missing';
/** The weights file is not a JSON object of functions: the table stays as it was (empty at start). */
export const WEIGHTS_FILE_INVALID = 'weights_file_invalid';
/** Entries of the weights file refused: each keeps its last good value, or stays unknown (404). */
export const WEIGHTS_ENTRY_REFUSED = 'weights_entry_refused';
/** Functions served from an older etcd value because the current one is refused. */
export const WEIGHTS_FROM_HISTORY = 'weights_from_history';

/**
 * Raises {@link NO_FUNCTIONS} when a load left `count` at 0, clears it otherwise.
 * @param where what was loaded, for the message: `the weights file /etc/golb/weights.json`
 */
export function reportFunctionCount(warnings: Warnings | undefined, count: number, where: string): void {
  if (warnings === undefined) return;
  if (count > 0) warnings.clear(NO_FUNCTIONS);
  else warnings.raise(NO_FUNCTIONS, `no function loaded from ${where}: every /function/ request answers 404 until one is added`);
}
