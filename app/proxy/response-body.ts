/**
 * A proxied response's body on its way from the upstream socket to whoever
 * takes it ({@link ResponseBody}): piped into a sink (golb's server writes it
 * to the client socket) or read as a web stream. Chunks read before the body
 * is taken (with the head, or while the response was on its way to the route)
 * are kept, a few at most, and handed over first. The source socket is paused
 * while the taker is full and resumed when it has room.
 *
 * The exchange (`exchange.ts`) is this body: it extends the class, feeds it
 * each chunk its parser reads ({@link deliver}) and ends or fails it.
 * @module
 */
import type { BodySink, ResponseBody, UpstreamFailure } from './engine.ts';

/** Chunks buffered per response body before the upstream socket is paused. */
const BODY_STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 8 };
/** Body chunks kept before the consumer takes the body beyond which the upstream socket is paused. */
const EARLY_CHUNKS = 8;

/** Where the body's bytes come from: the upstream connection, paused and resumed. */
export interface BodySource {
  pause(): void;
  resume(): void;
}

/** The handing over of one response body; the exchange extends it. */
export abstract class ResponseBodyHandoff implements ResponseBody {
  protected readonly source: BodySource;
  /** The exchange is over (completed or failed): nothing more will be read. */
  protected done = false;
  /** The whole response was read. */
  protected responseDone = false;
  /** The web stream's controller, when the body was taken as a stream. */
  protected controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  /** Where the body goes when piped ({@link pipe}) rather than streamed. */
  protected sink: BodySink | undefined = undefined;
  /** The body was taken (`stream()` or `pipe()`). */
  private taken = false;
  /** Body chunks read before the consumer took the body. */
  private early: Uint8Array[] | undefined = undefined;
  /** The first of them, usually the only one (a body that came with its head): no array for it. */
  private earlyFirst: Uint8Array | undefined = undefined;

  constructor(source: BodySource) {
    this.source = source;
  }

  /** Ends the exchange with `failure` (the subclass's: it knows what else to undo). */
  abstract fail(failure: UpstreamFailure, message: string): void;

  /** A chunk of the body, read from the source: to the taker, or kept until there is one. */
  protected deliver(chunk: Uint8Array): void {
    const sink = this.sink;
    if (sink !== undefined) {
      if (!sink.write(chunk)) this.source.pause();
      return;
    }
    const c = this.controller;
    if (c !== undefined) {
      c.enqueue(chunk);
      if ((c.desiredSize ?? 1) <= 0) this.source.pause();
    } else {
      // Read before the consumer took the body (with the head, or while the response was on its way to it).
      if (this.earlyFirst === undefined) this.earlyFirst = chunk;
      else if (this.early === undefined) this.early = [chunk];
      else if (this.early.push(chunk) >= EARLY_CHUNKS - 1) this.source.pause();
    }
  }

  /** The body is complete: the taker sees its end. */
  protected closeBody(): void {
    if (this.controller !== undefined) {
      this.controller.close();
      this.controller = undefined;
    } else if (this.sink !== undefined) {
      const sink = this.sink;
      this.sink = undefined;
      sink.end();
    }
  }

  /** The body will not complete: the taker sees `message`. */
  protected abortBody(message: string): void {
    if (this.controller !== undefined) {
      this.controller.error(new Error(message));
      this.controller = undefined;
    } else if (this.sink !== undefined) {
      const sink = this.sink;
      this.sink = undefined;
      sink.abort(message);
    }
  }

  /** True while someone takes the body as it comes. */
  protected get bodyTaker(): boolean {
    return this.controller !== undefined || this.sink !== undefined;
  }

  /** ResponseBody: pushes the body into `sink`, what was read already first. */
  pipe(sink: BodySink): void {
    if (this.taken) throw new Error('response body already taken');
    this.taken = true;
    const first = this.earlyFirst;
    const early = this.early;
    this.earlyFirst = this.early = undefined;
    let room = true;
    if (first !== undefined) room = sink.write(first);
    if (early !== undefined) for (const chunk of early) room = sink.write(chunk);
    if (this.done && !this.responseDone) {
      sink.abort('upstream failed mid-body');
      return;
    }
    if (this.responseDone) {
      sink.end();
      return;
    }
    this.sink = sink;
    if (room) this.source.resume();
    else this.source.pause();
  }

  /** ResponseBody: the body as a web stream, whole already (one read brought it with the head) or streaming from the socket. */
  stream(): ReadableStream<Uint8Array> {
    if (this.taken) throw new Error('response body already taken');
    this.taken = true;
    return new ReadableStream<Uint8Array>(this, BODY_STRATEGY);
  }

  /** ReadableStream source: takes the controller and what was read with the head. */
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    const first = this.earlyFirst;
    const early = this.early;
    if (first !== undefined) {
      this.earlyFirst = this.early = undefined;
      controller.enqueue(first);
      if (early !== undefined) for (const chunk of early) controller.enqueue(chunk);
    }
    if (this.responseDone) {
      // Read whole with the head: nothing more will come.
      controller.close();
      this.controller = undefined;
    } else if (this.done) {
      // The exchange failed before the body was taken.
      controller.error(new Error('upstream failed mid-body'));
      this.controller = undefined;
    } else if ((controller.desiredSize ?? 1) <= 0) this.source.pause();
  }

  /** ReadableStream source: the client wants more. */
  pull(): void {
    if (!this.done) this.source.resume();
  }

  /** ResponseBody: the sink has room again. */
  resume(): void {
    if (!this.done) this.source.resume();
  }

  /** ReadableStream source and ResponseBody: the client stopped reading. */
  abstract cancel(): void;
}
