/**
 * Bytes appended into one buffer that doubles as it fills, so that n small
 * appends cost the bytes they carry, not n copies of all held so far
 * (`Buffer.concat` on every read made a client sending a byte per read cost
 * golb quadratic CPU) and not n objects (a view per read made 64 KiB sent a
 * byte at a time hold about 10–28 MB).
 * @module
 */

/** Smallest buffer allocated. */
const MIN_CAPACITY = 4096;

/** A growing run of bytes. */
export class ByteBuffer {
  private buf: Buffer;
  /** Bytes held. */
  length = 0;

  /** @param capacity bytes expected (the buffer grows past it when needed) */
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, capacity));
  }

  /** Copies `data` after the bytes held. */
  append(data: Uint8Array): void {
    const need = this.length + data.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf.set(data, this.length);
    this.length = need;
  }

  /** The bytes held, as a view (valid until the next append). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Bytes a connection holds unparsed (pipelined requests waiting for the
 * current response): the first piece as it came, no copy; more pieces in one
 * {@link ByteBuffer}.
 */
export class HeldBytes {
  /** What is held, as one run; undefined when nothing is. */
  private run: Buffer | undefined = undefined;
  /** The buffer behind `run` once more than one piece is held. */
  private buffer: ByteBuffer | undefined = undefined;

  /** Bytes held. */
  get length(): number {
    return this.run === undefined ? 0 : this.run.length;
  }

  /** Nothing is held. */
  get empty(): boolean {
    return this.run === undefined;
  }

  /** Keeps `data` after the bytes held. */
  add(data: Buffer): void {
    if (this.run === undefined) {
      this.run = data; // the common case: no copy
      return;
    }
    if (this.buffer === undefined) {
      this.buffer = new ByteBuffer(this.run.length + data.length);
      this.buffer.append(this.run);
    }
    this.buffer.append(data);
    this.run = this.buffer.view();
  }

  /** Hands over all that is held, and holds nothing. */
  take(): Buffer | undefined {
    const run = this.run;
    this.run = undefined;
    this.buffer = undefined;
    return run;
  }
}
