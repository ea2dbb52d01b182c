/**
 * The byte transport under the HTTP/1.1 engine and golb's HTTP/1.1 server:
 * TCP connections to upstreams and from clients, as small an interface as
 * they need, so each runtime can plug in its cheapest sockets (`node:net`
 * here, for Node and Deno; `Bun.connect` and `Bun.listen` in
 * `bun-transport.ts`) under one `Http1Client` and one `Http1Server`. (A
 * `Deno.connect` transport was measured: no less CPU per request than Deno's
 * `node:net`, whose writes are synchronous, so Deno keeps `node:net`.)
 *
 * Contract every implementation keeps:
 * - events are delivered to the {@link TransportEvents} given to `connect`,
 *   never after `destroy()` returned, and `onClose` at most once;
 * - `write` never drops bytes: what the socket cannot take now is queued in
 *   order, and `false` tells the caller to wait for `onDrain`;
 * - `pause()` stops `onData` until `resume()` (the peer then meets TCP
 *   backpressure);
 * - timeouts are the engine's business, not the transport's;
 * - a listener's sockets are half-open: a client's FIN is reported by
 *   `onEnd` and the server still answers; it closes the socket itself.
 * @module
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** What a connection reports. Implemented by the engine's connection object (no closures per socket). */
export interface TransportEvents {
  /** The TCP connection is established. */
  onOpen(): void;
  /** Bytes arrived; the buffer is the engine's to keep. */
  onData(data: Buffer): void;
  /** Everything queued by `write` was handed to the kernel after a `write` returned false. */
  onDrain(): void;
  /** The peer closed its sending side (FIN). */
  onEnd(): void;
  /** The connection is gone: refused, reset or closed. `error` is set when it failed. */
  onClose(error: string | undefined): void;
}

/** One connection to an upstream. */
export interface TransportSocket {
  /** Sends bytes (strings as latin1: one byte per character, as header values arrive); false when they were queued and `onDrain` will follow. */
  write(data: string | Uint8Array): boolean;
  /** Sends one chunked-encoding chunk: size line, data, CRLF, in as few writes as the socket allows. */
  writeChunk(data: Uint8Array): boolean;
  pause(): void;
  resume(): void;
  /** Closes the connection at once; no event follows. */
  destroy(): void;
  /** Sends what is queued, then closes the connection (FIN); no event follows. */
  end(): void;
}

/** A listening socket. */
export interface Listener {
  /** The port it listens on (the one chosen when 0 was asked). */
  readonly port: number;
  /** Stops accepting; open connections stay. */
  close(): void;
}

/** Takes an accepted connection: returns where its events go. `remoteAddress` is the peer's IP, IPv4-mapped prefix stripped. */
export type Accept = (socket: TransportSocket, remoteAddress: string) => TransportEvents;

/** Opens connections. */
export interface Transport {
  /** The runtime's name for logs and tests, e.g. `node:net`. */
  readonly name: string;
  /**
   * True when a body read whole with its head is cheapest handed over as a
   * Blob's stream (Bun's server sends it natively); false: a plain
   * ReadableStream (cheaper on Deno, whose Blob streams cost ops per part).
   */
  readonly blobBodies: boolean;
  connect(host: string, port: number, events: TransportEvents): TransportSocket;
  /** Listens on `host:port`; rejects when it cannot (the address is taken). */
  listen(host: string, port: number, accept: Accept): Promise<Listener>;
}

/** Strips the IPv4-mapped prefix so every runtime reports `127.0.0.1` alike. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const CRLF = '\r\n';

/** Told the size of every read of a `node:net` socket, when set ({@link watchReads}). */
let readWatcher: ((bytes: number) => void) | undefined;

/** Has `watcher` told the size of every read of every `node:net` socket (`deno-transport.ts`). */
export function watchReads(watcher: (bytes: number) => void): void {
  readWatcher = watcher;
}

/** A `node:net` socket with its handlers attached once. */
class NodeSocket implements TransportSocket {
  private readonly socket: Socket;
  private closed = false;
  /** Set by the constructor's caller before any event can fire (events come from the event loop). */
  events!: TransportEvents;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('connect', () => this.events.onOpen());
    socket.on('data', (data: Buffer) => {
      if (readWatcher !== undefined) readWatcher(data.length);
      if (!this.closed) this.events.onData(data);
    });
    socket.on('drain', () => {
      if (!this.closed) this.events.onDrain();
    });
    socket.on('end', () => {
      if (!this.closed) this.events.onEnd();
    });
    socket.on('error', (err: Error) => this.close(err.message));
    socket.on('close', () => this.close('upstream connection closed'));
  }

  private close(error: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(error);
  }

  write(data: string | Uint8Array): boolean {
    // Strings are request heads, one character per byte (latin1) as the servers hand header values over.
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  writeChunk(data: Uint8Array): boolean {
    const socket = this.socket;
    socket.cork();
    socket.write(data.length.toString(16) + CRLF);
    socket.write(data);
    const ok = socket.write(CRLF);
    socket.uncork();
    return ok;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  end(): void {
    this.closed = true;
    this.socket.end();
  }
}

/** `node:net` sockets: Node's own, and Deno's and Bun's compatibility layers. */
export const nodeTransport: Transport = {
  name: 'node:net',
  blobBodies: false,
  connect(host, port, events) {
    const socket = new NodeSocket(connect({ host, port, noDelay: true }));
    socket.events = events;
    return socket;
  },
  listen(host, port, accept) {
    const server = createServer({ allowHalfOpen: true }, (raw) => {
      raw.setNoDelay(true);
      const socket = new NodeSocket(raw);
      socket.events = accept(socket, plainAddress(raw.remoteAddress));
    });
    return new Promise<Listener>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        // A failed accept (EMFILE) is not fatal: the server goes on.
        server.on('error', () => undefined);
        resolve({ port: (server.address() as AddressInfo).port, close: () => void server.close() });
      });
    });
  },
};
