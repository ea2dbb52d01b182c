/**
 * The upstream engine: an HTTP/1.1 client with a keep-alive pool per upstream
 * address, on a pluggable transport (`transport.ts`: `node-transport.ts` for
 * Node and Deno, `bun-transport.ts` for Bun). It behaves the
 * same on every runtime, sends the request exactly as built (Host included,
 * no `Expect`, no content decoding) and streams both bodies with backpressure.
 *
 * Reuse and retry: an idle connection is reused LIFO (the warmest socket
 * first) and closed after `idleTimeoutMs`, which should stay below the
 * upstreams' own keep-alive timeout. When a reused connection fails before any
 * response byte and the request is idempotent and had no body, it is sent once
 * more on a fresh connection: the upstream most likely closed it while idle (the
 * keep-alive race of node #52649). Anything else is reported
 * to the caller, which owns the retry policy. One request on a connection is
 * an `Exchange` (exchange.ts).
 *
 * Timeouts cost no timer per request: one sweep per client runs while any
 * connection is open, every 1/8 of the shortest timeout (10 ms to 1 s), and a
 * connection silent for longer than its phase allows (connecting, busy, idle)
 * times out; a connection paused because the client reads slowly is not
 * silent. The response head is the exception: it has the response timeout
 * from when the request was last written, whatever arrives meanwhile, so an
 * upstream dripping its head a byte at a time, or sending `102 Processing`
 * over and over (RFC 9110 §15.2), cannot hold a request open for ever.
 * @module
 */
import { Exchange } from './exchange.ts';
import { ResponseParser, type ResponseSink } from './response-parser.ts';
import type { Transport, TransportEvents, TransportSocket } from '../net/transport.ts';
import { sweepPeriod, ticksFor, type Timer } from '../http/sweep.ts';
import type { ExchangeReply, ProxyEngine, UpstreamConnections, UpstreamError, UpstreamRequest, UpstreamResponse } from './engine.ts';

/** Options of {@link Http1Client}. */
export interface Http1ClientOptions {
  connectTimeoutMs: number;
  /**
   * Longest wait for the response head after the request was last written
   * (bytes of an unfinished head and 1xx interim responses do not extend it),
   * and longest silence between reads of the response body.
   */
  responseTimeoutMs: number;
  /** Idle pooled connections are closed after this. */
  idleTimeoutMs: number;
  /** Idle connections kept per upstream address. */
  maxIdlePerUpstream: number;
  /**
   * Longest a response may wait on a client that reads none of it (the upstream
   * socket paused by backpressure) before the exchange is abandoned, as nginx's
   * `send_timeout`; undefined: no limit. Any read by the client restarts it.
   */
  stallTimeoutMs?: number | undefined;
  /** Runs the timeout sweep (`AppDeps.timer`). */
  timer: Timer;
}


/** What a connection is waiting for, and so which timeout applies. */
const enum Phase {
  Connecting,
  Busy,
  Idle,
}

/**
 * One upstream connection: the transport's events dispatched to the current
 * exchange. Its timeout is checked by the client's sweep (no timer per
 * request): activity stamps the sweep's tick, a paused (backpressured)
 * connection is not silent, it is waiting for the client.
 */
export class Connection implements TransportEvents {
  readonly socket: TransportSocket;
  readonly address: string;
  exchange: Exchange | undefined = undefined;
  connected = false;
  closed = false;
  paused = false;
  phase = Phase.Connecting;
  /** The client's sweep tick at the last activity: while a response head is awaited, the last write of the request. */
  lastTick: number;
  readonly client: Http1Client;
  /** Its response parser (and the table of its heads' header offsets), made for the first exchange and reset for each next one. */
  private parser: ResponseParser | undefined = undefined;

  constructor(client: Http1Client, host: string, port: number, address: string) {
    this.client = client;
    this.address = address;
    this.lastTick = client.tick;
    client.track(this);
    this.socket = client.transport.connect(host, port, this);
  }

  /** The connection's response parser, ready for a new response to `sink`. */
  responseParser(sink: ResponseSink, isHead: boolean): ResponseParser {
    if (this.parser === undefined) this.parser = new ResponseParser(sink, isHead);
    else this.parser.reset(sink, isHead);
    return this.parser;
  }

  onOpen(): void {
    this.connected = true;
    this.phase = Phase.Busy;
    this.lastTick = this.client.tick;
    this.exchange?.upstreamConnected();
  }

  onData(data: Buffer): void {
    const exchange = this.exchange;
    if (exchange === undefined) {
      this.destroy(); // bytes on an idle connection: unusable
      return;
    }
    exchange.onData(data);
    // Until the final head is read, bytes are not activity: the head's deadline stands.
    if (!exchange.awaitingHead) this.lastTick = this.client.tick;
  }

  onDrain(): void {
    this.lastTick = this.client.tick;
    this.exchange?.onDrain();
  }

  onEnd(): void {
    if (this.exchange !== undefined) this.exchange.onEof();
    this.destroy();
  }

  onClose(error: string | undefined): void {
    this.closed = true;
    this.client.untrack(this);
    if (this.exchange !== undefined) this.exchange.fail(this.connected ? 'reset' : 'connect', error ?? 'upstream connection closed');
    else this.client.forget(this);
  }

  /** The sweep found the connection silent for longer than its phase allows. */
  onTimeout(): void {
    if (this.exchange !== undefined) {
      this.exchange.fail(this.connected ? 'timeout' : 'connect', this.connected ? 'upstream timed out' : 'connect timed out');
    } else this.destroy();
  }

  pause(): void {
    this.paused = true;
    this.lastTick = this.client.tick; // the stall is timed from here
    this.socket.pause();
  }

  /** The client has read nothing of the response for longer than the stall limit. */
  onStall(): void {
    this.exchange?.fail('aborted', 'the client read nothing of the response for too long');
    this.destroy();
  }

  resume(): void {
    if (this.paused) {
      this.paused = false;
      this.lastTick = this.client.tick;
      this.socket.resume();
    }
  }

  destroy(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
      this.client.untrack(this);
    }
    this.client.forget(this);
  }
}

/**
 * The HTTP/1.1 engine with per-upstream keep-alive pools, on a pluggable
 * transport (`node-transport.ts` for Node and Deno, `bun-transport.ts` for Bun).
 */
export class Http1Client implements ProxyEngine {
  readonly options: Http1ClientOptions;
  readonly transport: Transport;
  /** Counts timeout sweeps; connections stamp it on activity (no clock read on the request path). */
  tick = 0;
  private readonly idle = new Map<string, Connection[]>();
  /** Open connections, for the timeout sweep. */
  private readonly live = new Set<Connection>();
  private sweeper: unknown = undefined;
  private readonly sweepMs: number;
  /** Silent ticks allowed per phase: one more than the timeout spans, so a timeout never fires early. */
  private readonly connectTicks: number;
  private readonly responseTicks: number;
  private readonly idleTicks: number;
  private readonly stallTicks: number | undefined;

  constructor(options: Http1ClientOptions, transport: Transport) {
    this.options = options;
    this.transport = transport;
    const shortest = Math.min(options.connectTimeoutMs, options.responseTimeoutMs, options.idleTimeoutMs, options.stallTimeoutMs ?? Infinity);
    this.sweepMs = sweepPeriod(shortest);
    const ticks = (ms: number) => ticksFor(ms, this.sweepMs);
    this.connectTicks = ticks(options.connectTimeoutMs);
    this.responseTicks = ticks(options.responseTimeoutMs);
    this.idleTicks = ticks(options.idleTimeoutMs);
    this.stallTicks = options.stallTimeoutMs === undefined ? undefined : ticks(options.stallTimeoutMs);
  }

  send(req: UpstreamRequest, to: ExchangeReply): void {
    const pooled = this.takeIdle(req.address);
    if (pooled === undefined) new Exchange(this.open(req), req, to, false);
    else new Exchange(pooled, req, to, true);
  }

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      this.send(req, { response: resolve, failure: reject as (err: UpstreamError) => void });
    });
  }

  /** A new connection for `req`'s upstream. */
  open(req: UpstreamRequest): Connection {
    return new Connection(this, req.host, req.port, req.address);
  }

  private takeIdle(address: string): Connection | undefined {
    const list = this.idle.get(address);
    if (list === undefined) return undefined;
    while (list.length > 0) {
      const conn = list.pop()!;
      if (!conn.closed) {
        conn.phase = Phase.Busy;
        conn.lastTick = this.tick;
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
    conn.resume();
    conn.phase = Phase.Idle;
    conn.lastTick = this.tick;
    list.push(conn);
  }

  /** Drops a connection from its idle pool (it closed). */
  forget(conn: Connection): void {
    const list = this.idle.get(conn.address);
    if (list === undefined) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    // An upstream whose last idle socket closed (its pods come and go) leaves no entry behind.
    if (list.length === 0) this.idle.delete(conn.address);
  }

  /** Watches a new connection's timeouts; the sweep runs while any connection is open. */
  track(conn: Connection): void {
    this.live.add(conn);
    if (this.sweeper === undefined) {
      // An idle pool alone does not keep the process alive (`Timer.every`).
      this.sweeper = this.options.timer.every(this.sweepMs, () => this.sweep());
    }
  }

  untrack(conn: Connection): void {
    this.live.delete(conn);
    if (this.live.size === 0 && this.sweeper !== undefined) {
      this.options.timer.cancel(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweep(): void {
    const tick = ++this.tick;
    for (const conn of this.live) {
      if (conn.closed) continue;
      if (conn.paused) {
        // Waiting on the client, not silent: only the stall limit applies.
        if (this.stallTicks !== undefined && tick - conn.lastTick > this.stallTicks) conn.onStall();
        continue;
      }
      const allowed = conn.phase === Phase.Busy ? this.responseTicks : conn.phase === Phase.Idle ? this.idleTicks : this.connectTicks;
      if (tick - conn.lastTick > allowed) conn.onTimeout();
    }
  }

  openConnections(): UpstreamConnections {
    let idle = 0;
    for (const list of this.idle.values()) for (const conn of list) if (!conn.closed) idle++;
    return { busy: Math.max(0, this.live.size - idle), idle };
  }

  close(): void {
    for (const list of this.idle.values()) for (const conn of [...list]) conn.destroy();
    this.idle.clear();
  }
}
