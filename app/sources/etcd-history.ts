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
 * reads at most {@link HISTORY_READS_PER_LOAD} versions in all, shared
 * breadth first between the refused keys (each reads one version per round).
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

/** Why a walk stopped before its end: the load's budget was spent. */
export function budgetSpent(looked: number): string {
  return looked === 0
    ? `history not read: this load has spent its budget of history reads (${HISTORY_READS_PER_LOAD} at most)`
    : `history read ${looked} version${looked === 1 ? '' : 's'} back, then this load's budget of history reads (${HISTORY_READS_PER_LOAD} at most) was spent`;
}

/** One key's walk in progress. */
interface Walk {
  current: IKeyValue;
  created: number;
  /** The mod revision of the version last read (the current one at first). */
  modified: number;
  looked: number;
  result: HistoryLookup | undefined;
}

/**
 * Takes one step of `walk`: ends it when there is nothing more to read, else
 * reads one version back (one read of the budget). See the module comment.
 */
async function step(walk: Walk, readAt: ReadKeyAt, decode: (value: Buffer) => DecodeResult, limit: number): Promise<void> {
  const { created, looked } = walk;
  if (walk.modified <= created) {
    walk.result = { found: false, why: looked === 0 ? 'the key has no earlier version' : 'no earlier version is valid', looked };
    return;
  }
  if (looked >= limit) {
    walk.result = { found: false, why: `none of its last ${limit} earlier versions is valid`, looked };
    return;
  }
  let older: IKeyValue | undefined;
  try {
    older = await readAt(walk.current.key, walk.modified - 1);
  } catch (err) {
    if (isCompacted(err)) walk.result = { found: false, why: `its history before revision ${walk.modified} was compacted`, looked };
    else throw err;
    return;
  } finally {
    walk.looked++;
  }
  if (older === undefined || Number(older.create_revision) !== created) {
    walk.result = { found: false, why: 'no earlier version is valid', looked: looked + 1 };
    return;
  }
  const decoded = decode(older.value);
  if (decoded.ok) walk.result = { found: true, spec: decoded.spec, revision: Number(older.mod_revision), looked: looked + 1 };
  else walk.modified = Number(older.mod_revision);
}

/**
 * Walks each key of `currents` back for its newest value that `decode`
 * accepts, breadth first: every key still walking reads one version per
 * round, so a few keys with long bad histories cannot spend the `budget`
 * that many keys needing one read each would have used. A key costs nothing
 * when it has no earlier version. The lookups come in the order of `currents`;
 * a key left walking when the budget is spent says so. A failure other than
 * a compacted revision (etcd out of reach) is thrown: the caller's read is
 * tried again.
 */
export async function newestGoodVersions(
  currents: readonly IKeyValue[], readAt: ReadKeyAt, decode: (value: Buffer) => DecodeResult,
  budget = HISTORY_READS_PER_LOAD, limit = HISTORY_VERSIONS,
): Promise<HistoryLookup[]> {
  const walks: Walk[] = currents.map((current) => ({
    current, created: Number(current.create_revision), modified: Number(current.mod_revision), looked: 0, result: undefined,
  }));
  const needsRead = (w: Walk) => w.modified > w.created && w.looked < limit;
  for (;;) {
    let stepped = false;
    for (const walk of walks) {
      if (walk.result !== undefined) continue;
      const reads = needsRead(walk) ? 1 : 0;
      if (reads > budget) continue;
      budget -= reads;
      stepped = true;
      await step(walk, readAt, decode, limit);
    }
    // Every round either reads (the budget shrinks) or ends a walk, so this ends.
    if (!stepped) break;
  }
  return walks.map((w) => w.result ?? { found: false, why: budgetSpent(w.looked), looked: w.looked });
}

/** {@link newestGoodVersions} of one key, with at most `limit` reads. */
export async function newestGoodVersion(current: IKeyValue, readAt: ReadKeyAt, decode: (value: Buffer) => DecodeResult, limit = HISTORY_VERSIONS): Promise<HistoryLookup> {
  const [lookup] = await newestGoodVersions([current], readAt, decode, limit, limit);
  return lookup!;
}
