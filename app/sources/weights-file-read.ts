/**
 * Reading the weights file with a guard: only a regular file (followed through
 * symbolic links) of at most {@link MAX_WEIGHTS_FILE_BYTES} is read. A link to
 * `/dev/zero`, a FIFO or a runaway file would otherwise be read without end:
 * Bun's memory reached 6.5 GB in 1.5 s on `/dev/zero`. The cap is enforced
 * while reading too, since the file may grow between the look and the read.
 * The embedded source and the management writer both read through it.
 * @module
 */
import { constants, promises as fsp } from 'node:fs';

/** Largest weights file golb reads: 16 MiB, room for about 100,000 functions of a few backends. */
export const MAX_WEIGHTS_FILE_BYTES = 16 * 1024 * 1024;

/** What a guarded read found. */
export type WeightsFileRead =
  | { kind: 'text'; text: string }
  | { kind: 'missing' }
  /** Not read on purpose: `why` completes "weights file <path> …", `detail` is what was found. */
  | { kind: 'refused'; why: string; detail: string }
  | { kind: 'unreadable'; error: NodeJS.ErrnoException };

/** The kind of a non-regular file, in words. */
function kindOf(stats: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

const NOT_REGULAR = 'is not a regular file';
const TOO_LARGE = `is larger than ${MAX_WEIGHTS_FILE_BYTES / 1024 / 1024} MiB`;

/**
 * Reads `path` as UTF-8 if it is a regular file of at most `maxBytes`.
 * Never throws: every outcome is a {@link WeightsFileRead}.
 */
export async function readWeightsFile(path: string, maxBytes = MAX_WEIGHTS_FILE_BYTES): Promise<WeightsFileRead> {
  const tooLarge = maxBytes === MAX_WEIGHTS_FILE_BYTES ? TOO_LARGE : `is larger than ${maxBytes} bytes`;
  let handle: fsp.FileHandle | undefined;
  try {
    // A look before opening: opening a FIFO waits for a writer.
    const before = await fsp.stat(path);
    if (!before.isFile()) return { kind: 'refused', why: NOT_REGULAR, detail: kindOf(before) };
    if (before.size > maxBytes) return { kind: 'refused', why: tooLarge, detail: `${before.size} bytes` };
    handle = await fsp.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'refused', why: NOT_REGULAR, detail: kindOf(stats) };
    // One byte more than the cap tells a file that grew past it from one that fills it exactly.
    let grown = Buffer.alloc(Math.min(maxBytes + 1, stats.size + 64 * 1024));
    let length = 0;
    for (;;) {
      if (length === grown.length) {
        if (grown.length > maxBytes) break;
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, grown.length * 2));
        grown.copy(bigger, 0, 0, length);
        grown = bigger;
      }
      const { bytesRead } = await handle.read(grown, length, grown.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return { kind: 'refused', why: tooLarge, detail: 'it grew past the limit while being read' };
    return { kind: 'text', text: grown.toString('utf8', 0, length) };
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    return error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', error };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
