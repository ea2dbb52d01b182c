/**
 * golb's HTTP/1.1 server, on the runtime's raw sockets (`Transport.listen`:
 * `Bun.listen` on Bun, `node:net` on Node and Deno), one implementation for
 * all three runtimes.
 *
 * Why not the runtimes' servers: each builds a `Request`, `Headers`,
 * `AbortSignal` and body streams per request and wants a `Response` back,
 * which cost more than everything golb does per request (docs/performance.md,
 * "Where the time goes"); and each parses differently, so golb behaved
 * differently per runtime on bad input. Here a `/function/` request is parsed
 * once (`request-parser.ts`, strict), handed to the proxy route as a plain
 * {@link ClientRequest}, and the upstream's answer is written straight to the
 * client socket from the engine's sink, with no web object in between. The
 * probes (`/healthz`, `/readyz`) are answered from `direct` alike. Every
 * other path (management, the node pool) goes to the Hono app as a
 * web `Request`, and its `Response` is written back
 * (`connection.ts` does all three).
 *
 * Timeouts cost no timer per connection: one sweep, every 1/8 of the shorter
 * of the idle and body timeouts (at most 1 s), closes a connection idle
 * between requests for longer than the idle timeout, and one whose response
 * the client has read none of for as long; a request head not complete
 * within the idle timeout, and a request body that made no progress for the
 * body timeout, are answered 408. A request being proxied has no deadline
 * here (the engine has its own).
 *
 * Each listener holds at most so many connections (`Http1ServerOptions.admission`,
 * `connection-gate.ts`): past it the transport closes a new one at once,
 * before a connection object exists.
 * @module
 */
import type { ProxyHandler } from '../client-request.ts';
import type { ErrorOrigin } from '../errors.ts';
import type { Admission, Listener, Transport, TransportEvents, TransportSocket } from '../net/transport.ts';
import { ticksFor, sweepPeriod, type Timer } from '../http/sweep.ts';
import { ClientConnection } from './connection.ts';

/** A web handler: Hono's `app.fetch`. `env` is the client connection (`serverRuntime.clientAddress` in serve.ts reads it). */
export type WebHandler = (req: Request, env: unknown) => Response | Promise<Response>;

/** A small JSON answer the server writes itself, with no web object made. */
export interface JsonAnswer {
  status: number;
  /** The JSON text. */
  body: string;
}

/** Options of {@link Http1Server}. */
export interface Http1ServerOptions {
  /** Serves `/function/…` requests; undefined: every request goes to `fetch` (the management port). */
  proxy: ProxyHandler | undefined;
  /**
   * Answers what it can by method and target (liveness and readiness,
   * `routes/probes.ts`) before any web `Request` is made; undefined: the
   * request goes on to `fetch`.
   */
  direct?: (method: string, target: string) => JsonAnswer | undefined;
  /** Serves every other request. */
  fetch: WebHandler;
  /** Idle keep-alive connections, and request heads, are given this long. */
  idleTimeoutMs: number;
  /** A request body golb is reading may go this long without progress (then 408). */
  bodyTimeoutMs: number;
  /** A request body up to this many bytes is read whole before the request is dispatched; 0: bodies always stream. */
  requestBufferBytes: number;
  /** Reports an error a handler threw (answered 500). */
  onError(err: unknown): void;
  /** Zone and node, for the JSON error of a refused request. */
  origin: ErrorOrigin;
  /** Keeps or refuses each accepted connection: the listener's connection cap (`connection-gate.ts`). */
  admission: Admission;
  /**
   * A request the server refused itself, before or instead of any route
   * (malformed, a head too large, a Host that is not host[:port], a timeout):
   * its status, reason and client, for the metrics and the log.
   */
  onRefused?(status: number, reason: string, client: string): void;
  /** Runs the timeout sweep (`AppDeps.timer`). */
  timer: Timer;
  /** Wall-clock milliseconds, for the `Date` header (`AppDeps.now`). */
  now(): number;
}

/** The server: its listener, its connections, the sweep and the drain at shutdown. */
export class Http1Server {
  readonly options: Http1ServerOptions;
  /** Counts sweeps; connections stamp it on activity (no clock read per request). */
  tick = 0;
  /** Silent ticks an idle connection is allowed. */
  readonly idleTicks: number;
  /** Ticks a request body may go without progress. */
  readonly bodyTicks: number;
  /** True once `stop` was called: no new connection is kept. */
  draining = false;
  /** True once `windDown` or `stop` was called: every response then closes its connection. */
  closesEach = false;
  /** The `Date` header value, refreshed by the sweep about once a second. */
  date: string;
  /** Sweeps between two refreshes of `date`. */
  private readonly dateTicks: number;
  private readonly live = new Set<ClientConnection>();
  /**
   * Sockets ended with bytes still queued (their client read too little), by
   * the tick they ended at: destroyed if still there after the idle timeout,
   * since an ended socket waits for its bytes to go out before it lingers.
   */
  private readonly ending = new Map<TransportSocket, number>();
  private listener: Listener | undefined = undefined;
  private readonly sweeper: unknown;
  private drained: (() => void) | undefined = undefined;

  constructor(options: Http1ServerOptions) {
    this.options = options;
    const shortest = Math.min(options.idleTimeoutMs, options.bodyTimeoutMs);
    const sweepMs = sweepPeriod(shortest);
    this.idleTicks = ticksFor(options.idleTimeoutMs, sweepMs);
    this.bodyTicks = ticksFor(options.bodyTimeoutMs, sweepMs);
    this.dateTicks = Math.max(1, Math.round(1000 / sweepMs));
    this.date = new Date(options.now()).toUTCString();
    this.sweeper = options.timer.every(sweepMs, () => this.sweep());
  }

  /** Listens on `host:port` with `transport`; resolves with the port (the one chosen for 0). */
  async listen(transport: Transport, host: string, port: number): Promise<number> {
    const listener = await transport.listen(host, port, (socket, remoteAddress) => this.accept(socket, remoteAddress), this.options.admission);
    // Stopped while the port was being taken (a SIGTERM during the start): it closes at once.
    if (this.draining) listener.close();
    else this.listener = listener;
    return listener.port;
  }

  private accept(socket: TransportSocket, remoteAddress: string): TransportEvents {
    const conn = new ClientConnection(this, socket, remoteAddress);
    if (this.draining) conn.closeWhenIdle();
    else this.live.add(conn);
    return conn;
  }

  /** A connection closed. */
  forget(conn: ClientConnection): void {
    this.live.delete(conn);
    if (this.live.size === 0 && this.drained !== undefined) this.drained();
  }

  /** A connection ended its socket with a write still queued: it goes at the latest after the idle timeout. */
  endsWhenSent(socket: TransportSocket): void {
    this.ending.set(socket, this.tick);
  }

  private sweep(): void {
    const tick = ++this.tick;
    if (tick % this.dateTicks === 0) this.date = new Date(this.options.now()).toUTCString();
    for (const conn of this.live) conn.check(tick);
    for (const [socket, since] of this.ending) {
      if (tick - since <= this.idleTicks) continue;
      this.ending.delete(socket);
      socket.destroy(); // a no-op when its bytes went out and it closed meanwhile
    }
  }

  /**
   * Keeps accepting, but every response from now on closes its connection
   * (the shutdown delay, `app/shutdown.ts`): clients open new connections,
   * which the load balancers in front send elsewhere once they know.
   */
  windDown(): void {
    this.closesEach = true;
  }

  /**
   * Stops accepting and closes idle connections; every response from now on
   * closes its connection. Resolves when the last connection closed.
   */
  stop(): Promise<void> {
    this.draining = true;
    this.closesEach = true;
    this.closeListener();
    for (const conn of [...this.live]) conn.closeWhenIdle();
    return new Promise<void>((resolve) => {
      this.drained = () => {
        this.drained = undefined;
        this.options.timer.cancel(this.sweeper);
        resolve();
      };
      if (this.live.size === 0) this.drained();
    });
  }

  /** Stops accepting, once: `stop` then `destroy` (the drain timeout) close the listener a single time. */
  private closeListener(): void {
    const listener = this.listener;
    this.listener = undefined;
    listener?.close();
  }

  /** Stops accepting and closes every connection at once (the drain timeout passed, or the management port at shutdown). */
  destroy(): void {
    this.draining = true;
    this.closesEach = true;
    this.closeListener();
    // Whatever is still in flight is cut by the shutdown, not by its client.
    for (const conn of [...this.live]) conn.cutByShutdown();
    for (const socket of this.ending.keys()) socket.destroy();
    this.ending.clear();
    this.options.timer.cancel(this.sweeper);
  }
}
