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
/** Functions whose etcd value is refused with no good value to serve instead: unknown (404). */
export const ETCD_FUNCTIONS_UNKNOWN = 'etcd_functions_unknown';
/** Most function names an etcd refusal warning lists. */
const NAMES_LISTED = 10;

/** `names` sorted, the first {@link NAMES_LISTED} joined, the rest counted: `a, b and 3 more`. */
function listed(names: string[]): string {
  const sorted = [...names].sort();
  const more = sorted.length > NAMES_LISTED ? ` and ${sorted.length - NAMES_LISTED} more` : '';
  return sorted.slice(0, NAMES_LISTED).join(', ') + more;
}

/**
 * Raises or clears the two warnings of refused etcd values: the functions
 * served from an older value (`historic`, with which: `revision 41`), and the
 * ones that stay unknown (404) because no good value was found (`unknown`).
 */
export function reportEtcdRefusals(warnings: Warnings | undefined, historic: ReadonlyMap<string, string>, unknown: ReadonlySet<string>): void {
  if (warnings === undefined) return;
  if (historic.size === 0) warnings.clear(WEIGHTS_FROM_HISTORY);
  else {
    const count = historic.size === 1 ? '1 function is' : `${historic.size} functions are`;
    const names = listed([...historic].map(([fn, which]) => `${fn} (${which})`));
    warnings.raise(WEIGHTS_FROM_HISTORY, `${count} served from an older etcd value because the current one is refused: ${names}`);
  }
  if (unknown.size === 0) warnings.clear(ETCD_FUNCTIONS_UNKNOWN);
  else {
    const count = unknown.size === 1 ? '1 function stays unknown (404) because its etcd value is' : `${unknown.size} functions stay unknown (404) because their etcd values are`;
    warnings.raise(ETCD_FUNCTIONS_UNKNOWN, `${count} refused and no good earlier value was found (the log says why): ${listed([...unknown])}`);
  }
}

/**
 * Raises {@link NO_FUNCTIONS} when a load left `count` at 0, clears it otherwise.
 * @param where what was loaded, for the message: `the weights file /etc/golb/weights.json`
 */
export function reportFunctionCount(warnings: Warnings | undefined, count: number, where: string): void {
  if (warnings === undefined) return;
  if (count > 0) warnings.clear(NO_FUNCTIONS);
  else warnings.raise(NO_FUNCTIONS, `no function loaded from ${where}: every /function/ request answers 404 until one is added`);
}
