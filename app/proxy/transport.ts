/**
 * The byte transport under the HTTP/1.1 engine: one TCP connection to an
 * upstream, as small an interface as the engine needs, so each runtime can
 * plug in its cheapest sockets (`node:net` here, for Node and Deno;
 * `Bun.connect` in `bun-transport.ts`) under one `Http1Client`. (A
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
 * - timeouts are the engine's business, not the transport's.
 * @module
 */
import { connect, type Socket } from 'node:net';

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
}

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
}

const CRLF = '\r\n';

/** A `node:net` socket with its handlers attached once. */
class NodeSocket implements TransportSocket {
  private readonly socket: Socket;
  private closed = false;
  private readonly events: TransportEvents;

  constructor(host: string, port: number, events: TransportEvents) {
    this.events = events;
    const socket = (this.socket = connect({ host, port, noDelay: true }));
    socket.on('connect', () => events.onOpen());
    socket.on('data', (data: Buffer) => {
      if (!this.closed) events.onData(data);
    });
    socket.on('drain', () => {
      if (!this.closed) events.onDrain();
    });
    socket.on('end', () => {
      if (!this.closed) events.onEnd();
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
}

/** `node:net` sockets: Node's own, and Deno's and Bun's compatibility layers. */
export const nodeTransport: Transport = {
  name: 'node:net',
  blobBodies: false,
  connect: (host, port, events) => new NodeSocket(host, port, events),
};
