/**
 * Splits a load report too large for one etcd value into parts. etcd refuses
 * a request over its `--max-request-bytes` (1.5 MiB by default), so a report
 * whose JSON passes {@link PART_BYTES} (1 MiB, well under the limit with the
 * key and the request's framing) is cut into parts of at most that size, each
 * a whole {@link LoadReport} with `part: {index, count}` and some of the
 * functions. A function too large for one part alone (thousands of backends)
 * is cut too: it appears in several consecutive parts, each with some of its
 * backends and the same function-level figures. A report is never dropped or
 * truncated for its size.
 *
 * Pure: sizes are measured by serializing each function once.
 * @module
 */
import type { BackendLoad, FunctionLoad, LoadReport } from './report.ts';

/** Most bytes of JSON in one part. */
export const PART_BYTES = 1024 * 1024;

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** One function's (or a piece of one's) place in a part, and its size as a member of `functions`. */
interface Piece {
  name: string;
  load: FunctionLoad;
  bytes: number;
}

/** `fn`'s load cut into pieces whose members of `functions` stay within `room` bytes each. */
function cutFunction(name: string, load: FunctionLoad, room: number): Piece[] {
  const empty = { ...load, backends: {} };
  const base = bytesOf(name) + 2 + bytesOf(empty);
  const pieces: Piece[] = [];
  let backends: Record<string, BackendLoad> = {};
  let bytes = base;
  let count = 0;
  for (const [address, backend] of Object.entries(load.backends)) {
    const size = bytesOf(address) + 2 + bytesOf(backend);
    if (count > 0 && bytes + size > room) {
      pieces.push({ name, load: { ...load, backends }, bytes });
      backends = {};
      bytes = base;
      count = 0;
    }
    backends[address] = backend;
    bytes += size;
    count++;
  }
  pieces.push({ name, load: { ...load, backends }, bytes });
  return pieces;
}

/**
 * The report as it is written to etcd: itself when its JSON is at most
 * `maxBytes`, else its parts in order (see the module comment).
 */
export function splitReport(report: LoadReport, maxBytes = PART_BYTES): LoadReport[] {
  const whole = bytesOf(report);
  if (whole <= maxBytes) return [report];
  // The envelope of a part, with room for any index and count.
  const envelope = bytesOf({ ...report, part: { index: 1e9, count: 1e9 }, functions: {} });
  const room = Math.max(1, maxBytes - envelope);
  const groups: Record<string, FunctionLoad>[] = [];
  let current: Record<string, FunctionLoad> = {};
  let used = 0;
  let members = 0;
  const flush = (): void => {
    if (members === 0) return;
    groups.push(current);
    current = {};
    used = 0;
    members = 0;
  };
  for (const [name, load] of Object.entries(report.functions)) {
    const bytes = bytesOf(name) + 2 + bytesOf(load);
    const pieces = bytes <= room ? [{ name, load, bytes }] : cutFunction(name, load, room);
    if (pieces.length > 1) flush();
    for (const piece of pieces) {
      if (members > 0 && used + piece.bytes > room) flush();
      current[piece.name] = piece.load;
      used += piece.bytes;
      members++;
      // A cut function's pieces each take a part: one name cannot appear twice in one.
      if (pieces.length > 1) flush();
    }
  }
  flush();
  const { schema, zone, node, time, windowMs } = report;
  return groups.map((functions, index) => ({ schema, zone, node, time, windowMs, part: { index, count: groups.length }, functions }));
}
