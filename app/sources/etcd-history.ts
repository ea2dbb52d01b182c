/**
 * The newest good value in one etcd key's history, for a function whose
 * current value is refused when golb (re)reads the zone: at start, or on a
 * full read after a compaction. Without it a bad value written while golb
 * runs keeps the last good one, but a golb started afterwards would refuse
 * the key and answer 404.
 *
 * etcd keeps every version of a key (MVCC) until it is compacted away, so
 * the walk reads the key at its mod revision − 1, which returns the version
 * before, then at that version's own mod revision − 1, and so on. It stops at
 * the first value that decodes, or at the key's create revision (a delete
 * ends a key's life: what came before belongs to another function), at a
 * compacted revision, or after {@link HISTORY_VERSIONS} versions; one load
 * reads at most {@link HISTORY_READS_PER_LOAD} versions in all.
 * @module
 */
import type { IKeyValue } from 'etcd3';
import type { DecodeResult, FunctionSpec } from './function-value.ts';

/** Most earlier versions of one key looked at. */
export const HISTORY_VERSIONS = 100;
/**
 * Most history reads in one full read of the zone: a writer who put bad
 * values under thousands of keys must not hold golb's start for minutes.
 */
export const HISTORY_READS_PER_LOAD = 2_000;

/** What the walk found: the spec and the revision it was written at, or why there is none. */
export type HistoryLookup = { found: true; spec: FunctionSpec; revision: number; looked: number } | { found: false; why: string; looked: number };

/** Reads `key` as it was at `revision` (undefined: it did not exist then). */
export type ReadKeyAt = (key: Buffer, revision: number) => Promise<IKeyValue | undefined>;

/** True when `err` is etcd's answer for a revision compacted away. */
export function isCompacted(err: unknown): boolean {
  return err instanceof Error && /compacted/i.test(err.message);
}

/**
 * Walks `current`'s history back for the newest value that `decode` accepts;
 * see the module comment. A failure other than a compacted revision (etcd
 * out of reach) is thrown: the caller's read is tried again.
 */
export async function newestGoodVersion(current: IKeyValue, readAt: ReadKeyAt, decode: (value: Buffer) => DecodeResult, limit = HISTORY_VERSIONS): Promise<HistoryLookup> {
  const created = Number(current.create_revision);
  let modified = Number(current.mod_revision);
  for (let looked = 0; looked < limit; looked++) {
    if (modified <= created) {
      return { found: false, why: looked === 0 ? 'the key has no earlier version' : 'no earlier version is valid', looked };
    }
    let older: IKeyValue | undefined;
    try {
      older = await readAt(current.key, modified - 1);
    } catch (err) {
      if (isCompacted(err)) return { found: false, why: `its history before revision ${modified} was compacted`, looked };
      throw err;
    }
    if (older === undefined || Number(older.create_revision) !== created) return { found: false, why: 'no earlier version is valid', looked };
    const result = decode(older.value);
    if (result.ok) return { found: true, spec: result.spec, revision: Number(older.mod_revision), looked: looked + 1 };
    modified = Number(older.mod_revision);
  }
  return { found: false, why: `none of its last ${limit} earlier versions is valid`, looked: limit };
}
