/**
 * One trace reader's queue (`GET /1/lb/traces`): the lines waiting for the
 * reader's connection to take them, bounded in lines and bytes. A reader that
 * reads slower than requests finish loses lines, never the proxy's time or
 * memory: a line that does not fit is dropped and counted, and the reader is
 * told how many it lost with a line of its own, `{"dropped":n}`, placed where
 * the lost lines would have been — before the next line that fits again, or
 * at the end of the next batch it takes when no line has come since.
 *
 * Offering a line is O(1) and copies nothing (the line's string is shared by
 * every reader); taking makes one string of everything waiting, so a reader
 * is written in batches.
 * @module
 */

/** Lines a reader's queue holds at most. */
export const TRACE_QUEUE_LINES = 1024;

/** Characters of lines a reader's queue holds at most (1 Mi: about 1 MiB, a line being mostly ASCII). */
export const TRACE_QUEUE_CHARS = 1024 * 1024;

/** The line that tells a reader how many lines it lost. */
export function droppedLine(n: number): string {
  return `{"dropped":${n}}\n`;
}

/** Bounds of a {@link TraceQueue}. */
export interface TraceQueueLimits {
  lines: number;
  chars: number;
}

/** A reader's lines waiting to be written, bounded; what does not fit is dropped and counted. */
export class TraceQueue {
  private readonly limits: TraceQueueLimits;
  private lines: string[] = [];
  private chars = 0;
  /** Lines dropped since the reader was last told. */
  private lost = 0;
  /** Lines dropped since the queue was made. */
  dropped = 0;

  constructor(limits: TraceQueueLimits = { lines: TRACE_QUEUE_LINES, chars: TRACE_QUEUE_CHARS }) {
    this.limits = limits;
  }

  /** Lines waiting (a drop notice counts as one). */
  get size(): number {
    return this.lines.length;
  }

  /** True when no line fits any more: the line limit is reached, or the character limit. */
  get full(): boolean {
    return this.lines.length >= this.limits.lines || this.chars >= this.limits.chars;
  }

  /** Counts a line lost without being offered (the queue was {@link full}). */
  lose(): void {
    this.lost++;
    this.dropped++;
  }

  /** True when nothing waits: no line and no loss to tell. */
  get empty(): boolean {
    return this.lines.length === 0 && this.lost === 0;
  }

  /**
   * Queues `line` (ending in a newline); false when it did not fit and was
   * dropped. Once lines were lost, the next line that fits is preceded by the
   * notice of how many.
   */
  offer(line: string): boolean {
    const { limits } = this;
    if (this.lines.length >= limits.lines || this.chars + line.length > limits.chars) {
      this.lost++;
      this.dropped++;
      return false;
    }
    if (this.lost > 0) this.tellLost();
    this.lines.push(line);
    this.chars += line.length;
    return true;
  }

  /** Everything waiting, as one string ('' when nothing), the notice of lines lost since included; the queue is empty after. */
  take(): string {
    if (this.lost > 0) this.tellLost();
    const { lines } = this;
    if (lines.length === 0) return '';
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    this.lines = [];
    this.chars = 0;
    return batch;
  }

  /** Queues the notice of the lines lost (over the bounds by one short line at most). */
  private tellLost(): void {
    const notice = droppedLine(this.lost);
    this.lost = 0;
    this.lines.push(notice);
    this.chars += notice.length;
  }
}
