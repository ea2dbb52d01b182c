/**
 * The upstream engine: an HTTP/1.1 client on `node:net` with a keep-alive
 * pool per upstream address. It runs the same on Bun, Deno and Node, sends the
 * request exactly as built (Host included, no `Expect`, no content decoding)
 * and streams both bodies with backpressure.
 *
 * Reuse and retry: an idle connection is reused LIFO (the warmest socket
 * first) and closed after `idleTimeoutMs`, which should stay below the
 * upstreams' own keep-alive timeout. When a reused connection fails before any
 * response byte and the request had no body, the request is sent once more on
 * a fresh connection: the upstream closed it while idle (the keep-alive race
 * of node #52649); nothing reached an application. Anything else is reported
 * to the caller, which owns the retry policy.
 * @module
 */
import { connect, type Socket } from 'node:net';
import { ResponseParser, type ResponseHead, type ResponseSink } from './response-parser.ts';
import { UpstreamError, type ProxyEngine, type UpstreamFailure, type UpstreamRequest, type UpstreamResponse } from './engine.ts';

/** Options of {@link Http1Client}. */
export interface Http1ClientOptions {
  connectTimeoutMs: number;
  /** Longest silence while waiting for the response head and between body reads. */
  responseTimeoutMs: number;
  /** Idle pooled connections are closed after this. */
  idleTimeoutMs: number;
  /** Idle connections kept per upstream address. */
  maxIdlePerUpstream: number;
}

/** Chunks buffered per response body before the upstream socket is paused. */
const BODY_HIGH_WATER_MARK = 8;
const CRLF = '\r\n';
/** Most bytes of an abandoned request body read and dropped before it is cancelled (@hono/node-server drains as much). */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * Reads the rest of a request body nobody will send (the exchange failed, or
 * the upstream answered first) and drops it, so the client's keep-alive
 * connection stays usable; past {@link DISCARD_LIMIT} it is cancelled. Only
 * cancelling is not enough on Node: @hono/node-server's body stream ignores
 * `cancel`, its inner reader then pauses the socket for good, and the server
 * drops the connection 500 ms later although the answer said keep-alive, so
 * the client's next request on it fails. Bun and Deno drain a cancelled body
 * themselves, so reading it here changes nothing there.
 */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let total = 0;
  try {
    while (total <= DISCARD_LIMIT) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.length;
    }
  } catch {
    return; // the client went away: nothing left to keep usable
  }
  await reader.cancel().catch(() => undefined);
}

/** One upstream socket, with handlers attached once and dispatched to the current exchange. */
class Connection {
  readonly socket: Socket;
  readonly address: string;
  exchange: Exchange | undefined = undefined;
  connected = false;
  closed = false;
  readonly client: Http1Client;

  constructor(client: Http1Client, host: string, port: number, address: string) {
    this.client = client;
    this.address = address;
    this.socket = connect({ host, port, noDelay: true });
    this.socket.setTimeout(client.options.connectTimeoutMs);
    this.socket.on('connect', () => {
      this.connected = true;
      this.socket.setTimeout(client.options.responseTimeoutMs);
    });
    this.socket.on('data', (data: Buffer) => {
      if (this.exchange !== undefined) this.exchange.onData(data);
      else this.destroy(); // bytes on an idle connection: unusable
    });
    this.socket.on('end', () => {
      if (this.exchange !== undefined) this.exchange.onEof();
      this.destroy();
    });
    this.socket.on('error', (err: Error) => {
      this.closed = true;
      if (this.exchange !== undefined) this.exchange.fail(this.connected ? 'reset' : 'connect', err.message);
      else this.client.forget(this);
    });
    this.socket.on('close', () => {
      this.closed = true;
      if (this.exchange !== undefined) this.exchange.fail(this.connected ? 'reset' : 'connect', 'upstream connection closed');
      else this.client.forget(this);
    });
    this.socket.on('timeout', () => {
      if (this.exchange !== undefined) {
        this.exchange.fail(this.connected ? 'timeout' : 'connect', this.connected ? 'upstream timed out' : 'connect timed out');
      } else this.destroy();
    });
  }

  destroy(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    this.client.forget(this);
  }
}

/** One request/response on a connection. */
class Exchange implements ResponseSink {
  private readonly conn: Connection;
  private readonly req: UpstreamRequest;
  private readonly parser: ResponseParser;
  private resolve: ((res: UpstreamResponse) => void) | undefined;
  private reject: ((err: UpstreamError) => void) | undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  /** The parsed response, held until the read that completed its head is parsed to its end. */
  private parsed: UpstreamResponse | undefined = undefined;
  private keepAlive = false;
  private responseDone = false;
  private requestDone = false;
  private bodySent = false;
  private responseStarted = false;
  private done = false;
  private readonly onAbort: () => void;

  constructor(conn: Connection, req: UpstreamRequest, resolve: (r: UpstreamResponse) => void, reject: (e: UpstreamError) => void) {
    this.conn = conn;
    this.req = req;
    this.resolve = resolve;
    this.reject = reject;
    this.parser = new ResponseParser(this, req.method === 'HEAD');
    this.onAbort = () => this.fail('aborted', 'client went away');
    conn.exchange = this;
    if (req.signal !== undefined) {
      if (req.signal.aborted) {
        this.fail('aborted', 'client went away');
        return;
      }
      req.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    this.send();
  }

  /** Writes the head and pumps the body. */
  private send(): void {
    const { req } = this;
    const socket = this.conn.socket;
    let head = `${req.method} ${req.target} HTTP/1.1${CRLF}Host: ${req.address}${CRLF}${req.headers}`;
    if (req.body === null) {
      if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += `Content-Length: 0${CRLF}`;
      socket.write(head + CRLF);
      this.requestDone = true;
      return;
    }
    const chunked = req.bodyLength === undefined;
    head += chunked ? `Transfer-Encoding: chunked${CRLF}` : `Content-Length: ${req.bodyLength}${CRLF}`;
    socket.write(head + CRLF);
    void this.pump(req.body, chunked);
  }

  private async pump(body: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    const socket = this.conn.socket;
    const reader = body.getReader();
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.done || this.responseDone) break;
        if (done) break;
        if (value.length === 0) continue;
        total += value.length;
        if (total > this.req.maxBodySize) {
          this.fail('body_too_large', 'request body over the limit');
          break;
        }
        let ok: boolean;
        if (chunked) {
          socket.cork();
          socket.write(value.length.toString(16) + CRLF);
          socket.write(value);
          ok = socket.write(CRLF);
          socket.uncork();
        } else ok = socket.write(value);
        this.bodySent = true;
        if (!ok && !this.done) await new Promise<void>((r) => socket.once('drain', r));
      }
    } catch {
      this.fail('aborted', 'client request body failed');
    }
    if (this.done || this.responseDone) {
      void discard(reader);
      if (!this.requestDone) this.keepAlive = false;
      this.maybeRelease();
      return;
    }
    if (chunked) socket.write(`0${CRLF}${CRLF}`);
    this.requestDone = true;
    this.maybeRelease();
  }

  onData(data: Buffer): void {
    this.responseStarted = true;
    this.parser.feed(data);
    // Resolve only now: a body that breaks in the same read as its head (a bad
    // chunk size right after it) fails the exchange with a clean 502 instead of
    // a 200 cut short, which some servers would not even start sending.
    const parsed = this.parsed;
    if (parsed !== undefined) {
      const resolve = this.resolve!;
      this.parsed = this.resolve = this.reject = undefined;
      resolve(parsed);
    }
    if (this.responseDone) this.maybeRelease();
  }

  onEof(): void {
    this.keepAlive = false;
    this.parser.eof();
  }

  head(head: ResponseHead): void {
    this.keepAlive = head.keepAlive;
    let body: ReadableStream<Uint8Array> | null = null;
    if (head.framing !== 'none') {
      const socket = this.conn.socket;
      body = new ReadableStream<Uint8Array>(
        {
          start: (controller) => {
            this.controller = controller;
          },
          pull: () => {
            if (!this.done) socket.resume();
          },
          cancel: () => {
            this.keepAlive = false;
            this.fail('aborted', 'client stopped reading');
          },
        },
        { highWaterMark: BODY_HIGH_WATER_MARK },
      );
    }
    this.parsed = { status: head.status, reason: head.reason, headers: head.headers, body };
  }

  body(chunk: Uint8Array): void {
    const c = this.controller;
    if (c === undefined) return;
    c.enqueue(chunk);
    if ((c.desiredSize ?? 1) <= 0) this.conn.socket.pause();
  }

  end(extra: boolean): void {
    if (extra) this.keepAlive = false;
    this.responseDone = true;
    if (this.controller !== undefined) {
      this.controller.close();
      this.controller = undefined;
    }
  }

  error(reason: string): void {
    this.fail('protocol', reason);
  }

  /** Ends the exchange: rejects the pending response or errors its body, and drops the socket. */
  fail(failure: UpstreamFailure, message: string): void {
    if (this.done) return;
    if (this.responseDone && this.controller === undefined && failure !== 'protocol') {
      // The response is complete; only the connection's future is affected.
      this.keepAlive = false;
      this.maybeRelease();
      return;
    }
    this.finish();
    this.conn.destroy();
    if (this.reject !== undefined) {
      const reject = this.reject;
      this.parsed = this.resolve = this.reject = undefined;
      reject(new UpstreamError(failure, message, this.bodySent, this.responseStarted));
    } else if (this.controller !== undefined) {
      this.controller.error(new Error(message));
      this.controller = undefined;
    }
  }

  private maybeRelease(): void {
    if (this.done || !this.responseDone || !this.requestDone) return;
    const reusable = this.keepAlive && this.parser.clean;
    this.finish();
    if (reusable) this.conn.client.release(this.conn);
    else this.conn.destroy();
  }

  private finish(): void {
    this.done = true;
    if (this.conn.exchange === this) this.conn.exchange = undefined;
    this.req.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** The node:net HTTP/1.1 engine with per-upstream keep-alive pools. */
export class Http1Client implements ProxyEngine {
  readonly options: Http1ClientOptions;
  private readonly idle = new Map<string, Connection[]>();

  constructor(options: Http1ClientOptions) {
    this.options = options;
  }

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const pooled = this.takeIdle(req.address);
    if (pooled === undefined) return this.exchange(req, this.open(req));
    return this.exchange(req, pooled).catch((err: unknown) => {
      // A reused connection that died before any response byte, with nothing of a body sent: a stale socket.
      if (err instanceof UpstreamError && err.failure === 'reset' && !err.responseStarted && req.body === null) {
        return this.exchange(req, this.open(req));
      }
      throw err;
    });
  }

  private open(req: UpstreamRequest): Connection {
    return new Connection(this, req.host, req.port, req.address);
  }

  private exchange(req: UpstreamRequest, conn: Connection): Promise<UpstreamResponse> {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      new Exchange(conn, req, resolve, reject);
    });
  }

  private takeIdle(address: string): Connection | undefined {
    const list = this.idle.get(address);
    if (list === undefined) return undefined;
    while (list.length > 0) {
      const conn = list.pop()!;
      if (!conn.closed) {
        conn.socket.setTimeout(this.options.responseTimeoutMs);
        return conn;
      }
    }
    return undefined;
  }

  /** Puts a finished connection back into its pool (or closes it when the pool is full). */
  release(conn: Connection): void {
    let list = this.idle.get(conn.address);
    if (list === undefined) this.idle.set(conn.address, (list = []));
    if (conn.closed || list.length >= this.options.maxIdlePerUpstream) {
      conn.destroy();
      return;
    }
    conn.socket.resume();
    conn.socket.setTimeout(this.options.idleTimeoutMs);
    list.push(conn);
  }

  /** Drops a connection from its idle pool (it closed). */
  forget(conn: Connection): void {
    const list = this.idle.get(conn.address);
    if (list === undefined) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
  }

  close(): void {
    for (const list of this.idle.values()) for (const conn of [...list]) conn.destroy();
    this.idle.clear();
  }
}
