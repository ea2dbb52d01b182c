/**
 * The readers of the trace stream (`GET /1/lb/traces`) and what each wants:
 * a sampled fraction of the finished requests, of one function or all. Each
 * reader has its own bounded queue (`trace-queue.ts`), so a slow reader loses
 * its own lines and nobody else's; lost lines are counted for
 * `golb_trace_lines_dropped_total`.
 *
 * The request path asks {@link TraceHub.active} (one field read) and, only
 * while someone reads, draws one number per request: a reader with sample
 * `s` takes the requests whose draw is below `s`, so the lines of a reader at
 * 0.1 are a subset of those of a reader at 0.5. A request no reader wants
 * costs no line and no object.
 *
 * Lines reach a reader's connection in batches: a reader waiting for lines is
 * woken {@link TRACE_FLUSH_MS} after the first new one, so a busy gateway
 * writes a trace stream a few dozen times a second, not once per request. A
 * waiting reader is also woken every {@link TRACE_PROBE_MS} with nothing, so
 * the server notices a reader that went away while no line came (the
 * reader's slot is given back). At shutdown every reader gets what waits and
 * the end of its stream.
 * @module
 */
import type { Timers } from '../timers.ts';
import { TraceQueue, type TraceQueueLimits } from './trace-queue.ts';

/** Readers of the trace stream at once, at most: each holds a queue of up to 1 MiB. */
export const MAX_TRACE_READERS = 16;
/** A waiting reader is written this long after the first new line, ms. */
export const TRACE_FLUSH_MS = 20;
/** A waiting reader is woken this often with nothing (is it still there?), ms. */
export const TRACE_PROBE_MS = 5_000;

/** What a reader asked for. */
export interface TraceFilter {
  /** The fraction of requests it gets, in (0, 1]. */
  sample: number;
  /** The one function it gets; undefined: all. */
  fn: string | undefined;
}

/** What the hub needs of the world. */
export interface TraceHubDeps {
  timers: Timers;
  /** A draw in [0, 1) per request while someone reads. */
  random(): number;
  maxReaders?: number;
  /** Each reader's queue bounds (tests pass small ones). */
  limits?: TraceQueueLimits;
}

/** One reader: its filter, its queue, and the wait of its stream for the next batch. */
export class TraceReader {
  readonly sample: number;
  /** `/function/<fn>` when it reads one function. */
  private readonly prefix: string | undefined;
  readonly queue: TraceQueue;
  private readonly hub: TraceHub;
  /** The stream waiting for its next batch. */
  private waiting: ((batch: string | undefined) => void) | undefined = undefined;
  private flushTimer: unknown = undefined;
  private closed = false;

  constructor(hub: TraceHub, filter: TraceFilter, limits: TraceQueueLimits | undefined) {
    this.hub = hub;
    this.sample = filter.sample;
    this.prefix = filter.fn === undefined ? undefined : `/function/${filter.fn}`;
    this.queue = new TraceQueue(limits);
  }

  /** True when the request to `target` whose draw is `draw` is one this reader takes. */
  wants(target: string, draw: number): boolean {
    if (draw >= this.sample) return false;
    const prefix = this.prefix;
    if (prefix === undefined) return true;
    if (!target.startsWith(prefix)) return false;
    const next = target.charCodeAt(prefix.length);
    // `/function/f`, `/function/f/...` or `/function/f?...`, not `/function/fx`.
    return Number.isNaN(next) || next === 47 || next === 63;
  }

  /** Queues a line; a waiting stream gets it with the next batch. */
  offer(line: string): void {
    if (!this.queue.offer(line)) this.hub.dropped++;
    this.wake();
  }

  /** Counts a line lost before it was made (the queue was full): the stream is told with its next batch. */
  lose(): void {
    this.queue.lose();
    this.hub.dropped++;
    this.wake();
  }

  private wake(): void {
    if (this.waiting !== undefined && this.flushTimer === undefined) {
      this.flushTimer = this.hub.timers.setTimeout(this.flush, TRACE_FLUSH_MS);
    }
  }

  /** The next batch of lines ('' for a probe: nothing yet), once there is one; undefined when the stream is over. */
  next(): Promise<string | undefined> {
    if (!this.queue.empty) return Promise.resolve(this.queue.take());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Wakes a waiting stream with what waits (nothing: a probe). */
  readonly flush = (): void => {
    this.flushTimer = undefined;
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    waiting(this.queue.empty && this.closed ? undefined : this.queue.take());
  };

  /** Ends the stream once what waits is taken; the hub forgets the reader. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.forget(this);
    if (this.flushTimer !== undefined) this.hub.timers.clearTimeout(this.flushTimer);
    this.flush();
  }
}

/** Every reader of the trace stream. */
export class TraceHub {
  readonly timers: Timers;
  private readonly random: () => number;
  private readonly maxReaders: number;
  private readonly limits: TraceQueueLimits | undefined;
  private readers: TraceReader[] = [];
  private probe: unknown = undefined;
  private stopped = false;
  /** Lines lost by slow readers since start (`golb_trace_lines_dropped_total`). */
  dropped = 0;
  /** True while someone reads: the request path checks this alone when no one does. */
  active = false;

  constructor(deps: TraceHubDeps) {
    this.timers = deps.timers;
    this.random = deps.random;
    this.maxReaders = deps.maxReaders ?? MAX_TRACE_READERS;
    this.limits = deps.limits;
  }

  /** Readers now. */
  get readerCount(): number {
    return this.readers.length;
  }

  /** A new reader, or a reason it cannot have one: too many readers, or golb is stopping. */
  open(filter: TraceFilter): TraceReader | 'full' | 'stopping' {
    if (this.stopped) return 'stopping';
    if (this.readers.length >= this.maxReaders) return 'full';
    const reader = new TraceReader(this, filter, this.limits);
    this.readers = [...this.readers, reader];
    this.active = true;
    this.probe ??= this.timers.every(TRACE_PROBE_MS, () => {
      for (const r of this.readers) r.flush();
    });
    return reader;
  }

  /** Drops a reader that closed or went away. */
  forget(reader: TraceReader): void {
    this.readers = this.readers.filter((r) => r !== reader);
    this.active = this.readers.length > 0;
    if (!this.active && this.probe !== undefined) {
      this.timers.cancel(this.probe);
      this.probe = undefined;
    }
  }

  /** The request's draw for {@link wants} and {@link publish}. */
  draw(): number {
    return this.random();
  }

  /** True when some reader takes the request to `target` with `draw`. */
  wants(target: string, draw: number): boolean {
    for (const r of this.readers) if (r.wants(target, draw)) return true;
    return false;
  }

  /**
   * True when some reader takes the request to `target` with `draw` and has
   * room for its line. When every reader that takes it is full (it stopped
   * reading), the line is lost for each of them now, counted, and never made:
   * a stalled reader costs the proxy no more than none.
   */
  admits(target: string, draw: number): boolean {
    let wanted = false;
    for (const r of this.readers) {
      if (!r.wants(target, draw)) continue;
      if (!r.queue.full) return true;
      wanted = true;
    }
    if (wanted) for (const r of this.readers) if (r.wants(target, draw)) r.lose();
    return false;
  }

  /** Hands `line` to every reader that takes the request to `target` with `draw`. */
  publish(line: string, target: string, draw: number): void {
    for (const r of this.readers) if (r.wants(target, draw)) r.offer(line);
  }

  /**
   * Ends every stream (what waits is still written) and refuses new readers:
   * at shutdown, before the server drains. Resolves a moment later, once the
   * servers had a turn to write the streams' ends.
   */
  close(): Promise<void> {
    this.stopped = true;
    const readers = this.readers;
    if (readers.length === 0) return Promise.resolve();
    for (const r of readers) r.close();
    return new Promise((resolve) => this.timers.setTimeout(resolve, TRACE_FLUSH_MS));
  }
}
