/**
 * Keys under a zone's prefix that golb ignores because the rest of the key is
 * not a function name (`golb/function/z/bad name`, `a"b`, a 254-character
 * name): a writer's typo that would otherwise go unseen, since such a function
 * simply does not exist. Each is logged at WARN once per key and revision
 * (a relist of the zone does not repeat it) and, while any exists, the
 * warning {@link ETCD_KEYS_IGNORED} lists them. Keys deeper than a function
 * (`golb/function/z/fn/x`) are documented as ignored and stay at DEBUG.
 * @module
 */
import type { Logger } from '../logger.ts';
import type { Warnings } from '../warnings.ts';

/** Warning code: keys under the zone's prefix that name no function. */
export const ETCD_KEYS_IGNORED = 'etcd_keys_ignored';
/** Most keys the warning lists; the rest are counted. */
const KEYS_LISTED = 5;
/** Most characters of one key a log line or the warning repeats. */
const KEY_CHARS = 100;

/** A key as a log line or the warning quotes it: cut at {@link KEY_CHARS}, JSON-quoted in the warning. */
function shown(key: string): string {
  return key.length > KEY_CHARS ? `${key.slice(0, KEY_CHARS)}…` : key;
}

/** The ignored keys of one zone, by key, with the mod revision last logged. */
export class IgnoredEtcdKeys {
  private keys = new Map<string, string>();
  /** Keys logged, with the revision logged: pruned to the current set at each full read. */
  private logged = new Map<string, string>();
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly warnings: Warnings | undefined;

  constructor(prefix: string, logger: Logger, warnings: Warnings | undefined) {
    this.prefix = prefix;
    this.logger = logger;
    this.warnings = warnings;
  }

  /**
   * Notes an ignored key at `revision`, into `into` (a full read's own set,
   * or the current one for a watch event); logs it unless this key at this
   * revision was logged already.
   */
  note(key: string, revision: string, into: Map<string, string> = this.keys): void {
    into.set(key, revision);
    if (this.logged.get(key) === revision) return;
    this.logged.set(key, revision);
    this.logger.warn(`etcd key ignored: not ${this.prefix}<function name>`, { key: shown(key), revision });
  }

  /** A full read found exactly `found`: it replaces the set, and the warning follows. */
  replace(found: Map<string, string>): void {
    this.keys = found;
    for (const key of this.logged.keys()) if (!found.has(key)) this.logged.delete(key);
    this.report();
  }

  /** A watch event deleted `key`. */
  delete(key: string): void {
    this.logged.delete(key);
    if (this.keys.delete(key)) this.report();
  }

  /** Raises or clears the warning from the current set. */
  report(): void {
    if (this.warnings === undefined) return;
    if (this.keys.size === 0) {
      this.warnings.clear(ETCD_KEYS_IGNORED);
      return;
    }
    const names = [...this.keys.keys()].sort();
    const listed = names.slice(0, KEYS_LISTED).map((k) => JSON.stringify(shown(k))).join(', ');
    const more = names.length > KEYS_LISTED ? ` and ${names.length - KEYS_LISTED} more` : '';
    const count = names.length === 1 ? '1 etcd key' : `${names.length} etcd keys`;
    this.warnings.raise(ETCD_KEYS_IGNORED, `${count} under ${this.prefix} ignored, not a function name (a letter or digit, then letters, digits, . _ -, at most 253): ${listed}${more}`);
  }
}
