/**
 * Management reads at a bounded cost: an answer is computed at most once per
 * interval for each key and shared by every reader of that interval, already
 * serialized, so a read costs a lookup and a write.
 *
 * The reads are open by default (`eb_go_lb_protect_reads`) and their answers
 * grow with the table: with 10,000 backends `/1/lb/stats` and `/metrics` are
 * over a megabyte each. Built per request, a few pollers in a loop took most
 * of the event loop from the proxied traffic; built once per interval, any
 * number of pollers cost one build per interval plus their writes.
 *
 * Intervals are fixed windows on the monotonic clock: the first read after a
 * window has passed starts the next one and drops every answer of the last, so
 * the cache holds only the keys read within one window, and each key is built
 * at most once per window. Keys are whatever tells answers apart (a query, the
 * table's version, a function's entry); a caller keys on what it must show at
 * once (a write), the rest may be up to one interval old.
 *
 * The body is handed to the server as one chunk of a stream, not copied
 * (`new Response(bytes)` copies them on some runtimes), and the transports
 * queue what a slow reader has not taken as a view of it: every reader of an
 * answer, fast or slow, shares one buffer.
 * @module
 */

/** How long a management read's answer is shared before it is built again, ms. */
export const MANAGEMENT_READ_INTERVAL_MS = 1000;

/** A serialized answer. */
export interface Answer {
  /** The body, UTF-8. Shared by every reader: never written to. */
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** The content type of JSON answers. */
export const JSON_TYPE = 'application/json';

/** A JSON answer of `value`. */
export function jsonAnswer(value: unknown): Answer {
  return textAnswer(JSON.stringify(value), JSON_TYPE);
}

/** An answer of `text` (encoded once, here). */
export function textAnswer(text: string, contentType: string): Answer {
  return { body: Buffer.from(text, 'utf8'), contentType };
}

/** Options of {@link AnswerCache}. */
export interface AnswerCacheOptions {
  /** Monotonic milliseconds (`AppDeps.monotonic`). */
  now(): number;
  /** The window, ms ({@link MANAGEMENT_READ_INTERVAL_MS} by default). */
  intervalMs?: number;
}

/** Answers by key, each built at most once per window and shared within it. */
export class AnswerCache<K, V = Answer> {
  private readonly answers = new Map<K, V>();
  private readonly now: () => number;
  private readonly intervalMs: number;
  private windowStart = -Infinity;

  constructor(options: AnswerCacheOptions) {
    this.now = options.now;
    this.intervalMs = options.intervalMs ?? MANAGEMENT_READ_INTERVAL_MS;
  }

  /**
   * The answer of `key` in the current window, built by `build` when the
   * window has none yet. A build that throws leaves nothing behind.
   */
  get(key: K, build: () => V): V {
    const now = this.now();
    if (now - this.windowStart >= this.intervalMs) {
      this.answers.clear();
      this.windowStart = now;
    }
    let answer = this.answers.get(key);
    if (answer === undefined) {
      answer = build();
      this.answers.set(key, answer);
    }
    return answer;
  }
}

/**
 * The web response of an answer: its body as the single chunk of a stream
 * (no copy), framed by `content-length`, never cached by clients or proxies.
 */
export function answerResponse(answer: Answer, status = 200): Response {
  const body = answer.body;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (body.length > 0) controller.enqueue(body);
      controller.close();
    },
  });
  return new Response(stream, {
    status,
    headers: { 'content-type': answer.contentType, 'content-length': String(body.length), 'cache-control': 'no-store' },
  });
}
