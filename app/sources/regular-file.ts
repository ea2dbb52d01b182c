/**
 * Reading a file that must be a regular file, without ever blocking on one
 * that is not: the weights file swapped for a FIFO (or a device) would hang
 * a plain read until a writer came, holding the read queue, every later
 * reload, and the stop (on Node even the exit, which waits for its file
 * threads). The file is opened non-blocking (a FIFO opens at once, with no
 * writer), checked on its open descriptor (no swap between check and read),
 * and read only when it is a regular file.
 * @module
 */
import { constants, promises as fsp } from 'node:fs';

/** The path names something other than a regular file. */
export class NotRegularFile extends Error {
  /** What it is: `a FIFO`, `a directory`, `a device`, `a socket`. */
  readonly kind: string;

  constructor(path: string, kind: string) {
    super(`${path} is ${kind}, not a regular file`);
    this.name = 'NotRegularFile';
    this.kind = kind;
  }
}

/**
 * The text of the regular file at `path` (symbolic links followed).
 * @throws {NotRegularFile} when it is something else; the open's error (ENOENT, EACCES) as it comes
 */
export async function readRegularFile(path: string): Promise<string> {
  const handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const kind = stat.isFIFO() ? 'a FIFO' : stat.isDirectory() ? 'a directory' : stat.isSocket() ? 'a socket' : 'a device';
      throw new NotRegularFile(path, kind);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
