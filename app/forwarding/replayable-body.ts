/**
 * A request body that can be sent again after a failed attempt.
 *
 * A client's body is a stream and can be read once. The engine starts reading
 * it as soon as it writes the request head, before its socket is connected, so
 * even a connection that was refused has taken the first chunks. To retry
 * such a request elsewhere, the chunks every attempt took are kept (up to
 * {@link REPLAY_LIMIT} bytes) and a new attempt's stream gives them again
 * before it continues with the rest of the client's body, which is still
 * unread. Chunks are pulled one at a time (high-water mark 0), only as fast as
 * the engine sends them, so a failed attempt has taken little.
 *
 * Once an attempt has got a response head, or no attempt will follow,
 * {@link ReplayableBody.release} stops recording and drops what was kept: the
 * rest of the body then streams through untouched.
 *
 * Ordering: at most one read of the client's body is pending at a time, shared
 * by whichever attempt stream asks, so chunks are recorded in the order they
 * came whatever the attempts do.
 * @module
 */

/** Most body bytes kept for a retry; a longer body that was partly taken is not sent again. */
export const REPLAY_LIMIT = 256 * 1024;

/**
 * Bytes kept for retries across every request at once: a thousand concurrent
 * uploads must not hold a thousand times {@link REPLAY_LIMIT}. Past it, new
 * bodies stream without a copy and are simply not retried once partly sent.
 */
export interface ReplayBudget {
  held: number;
  readonly limit: number;
}

/** The process's budget: 64 MiB. */
export const REPLAY_BUDGET: ReplayBudget = { held: 0, limit: 64 * 1024 * 1024 };

/** Keeps what the attempts read of a body, so another attempt can start it over. */
export class ReplayableBody {
  private readonly source: ReadableStream<Uint8Array>;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined = undefined;
  /** Chunks read from the client while recording; entries already given after release are dropped. */
  private readonly chunks: (Uint8Array | undefined)[] = [];
  private recordedBytes = 0;
  private recording = true;
  /** A chunk read after recording stopped, not yet given to the live stream. */
  private loose: Uint8Array | undefined = undefined;
  /** False once a read chunk was not kept (limit passed, or released) or the client's body failed. */
  private complete = true;
  /** The client's body ended. */
  private ended = false;
  private failure: unknown = undefined;
  private pending: Promise<void> | undefined = undefined;
  /** Generation of the attempt stream that may still be fed (the live one). */
  private generation = 0;
  /** How many of {@link chunks} the live stream has given. */
  private index = 0;

  private readonly budget: ReplayBudget;

  constructor(source: ReadableStream<Uint8Array>, budget: ReplayBudget = REPLAY_BUDGET) {
    this.source = source;
    this.budget = budget;
  }

  /** The body for the next attempt: what earlier attempts read, then the rest. */
  stream(): ReadableStream<Uint8Array> {
    const generation = ++this.generation;
    this.index = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          for (;;) {
            if (generation !== this.generation) return controller.close(); // a later attempt took over
            if (this.index < this.chunks.length) {
              const chunk = this.chunks[this.index]!;
              if (!this.recording) this.chunks[this.index] = undefined; // released: nothing will replay it
              this.index++;
              return controller.enqueue(chunk);
            }
            if (this.loose !== undefined) {
              const chunk = this.loose;
              this.loose = undefined;
              return controller.enqueue(chunk);
            }
            if (this.failure !== undefined) return controller.error(this.failure);
            if (this.ended) return controller.close();
            await this.readMore();
          }
        },
        cancel: () => {
          if (generation === this.generation) void this.cancelSource();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** True when a new {@link stream} would carry the whole body. */
  get replayable(): boolean {
    return this.complete && this.failure === undefined;
  }

  /**
   * The current attempt failed and another follows: the current stream gets
   * nothing more (the engine's cleanup of it ends at once). Call only when
   * {@link replayable}, right before {@link stream}.
   */
  rewind(): void {
    this.generation++;
  }

  /** No attempt will follow: stop keeping chunks, drop those already given. */
  release(): void {
    if (this.recording) {
      this.recording = false;
      this.budget.held -= this.recordedBytes;
    }
    for (let i = 0; i < this.index; i++) this.chunks[i] = undefined;
  }

  /** Reads one chunk of the client's body; one read at a time, shared by whoever waits. */
  private readMore(): Promise<void> {
    if (this.pending === undefined) {
      this.pending = this.readOne().finally(() => {
        this.pending = undefined;
      });
    }
    return this.pending;
  }

  private async readOne(): Promise<void> {
    this.reader ??= this.source.getReader();
    try {
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
      } else if (this.recording && this.recordedBytes + value.length <= REPLAY_LIMIT && this.budget.held + value.length <= this.budget.limit) {
        this.recordedBytes += value.length;
        this.budget.held += value.length;
        this.chunks.push(value);
      } else {
        // Past the limit or the budget (or after release) a chunk is handed on, not kept.
        this.complete = false;
        this.release();
        this.loose = value;
      }
    } catch (err) {
      this.failure = err ?? new Error('request body failed');
      this.complete = false;
    }
  }

  private async cancelSource(): Promise<void> {
    this.reader ??= this.source.getReader();
    await this.reader.cancel().catch(() => undefined);
  }
}
