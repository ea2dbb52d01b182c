/**
 * The byte transport under the HTTP/1.1 engine and golb's HTTP/1.1 server:
 * TCP connections to upstreams and from clients, as small an interface as
 * they need, so each runtime can plug in its cheapest sockets (`node:net` in
 * `node-transport.ts`, for Node, and for Deno's upstreams; `Deno.listen` in
 * `deno-transport.ts` for Deno's clients; `Bun.connect` and `Bun.listen` in
 * `bun-transport.ts`) under one `Http1Client` and one `Http1Server`. (A
 * `Deno.connect` transport for upstreams was measured: no less CPU per request
 * than Deno's `node:net`, whose writes are synchronous.)
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
 *   `onEnd` and the server still answers; it closes the socket itself;
 * - after `end()` the socket is released within {@link LINGER_MS} of its last
 *   byte going out, whether or not the peer closes its side: a client that
 *   never closes must not hold a descriptor for ever; `destroy()` after
 *   `end()` drops what is still queued and releases it at once (a peer that
 *   reads nothing would otherwise keep it until its bytes went out).
 * @module
 */

/**
 * How long an ended socket waits, once everything is sent and its FIN is
 * out, for the peer to close its side before it is destroyed (nginx waits
 * 5 s between reads, `lingering_timeout`, and 30 s in all).
 */
export const LINGER_MS = 5_000;
/** What a connection reports. Implemented by the engine's and the server's connection objects (no closures per socket). */
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

/** One connection: to an upstream, or accepted from a client. */
export interface TransportSocket {
  /** Sends bytes (strings as latin1: one byte per character, as header values arrive); false when they were queued and `onDrain` will follow. */
  write(data: string | Uint8Array): boolean;
  /**
   * Sends `buf[0, length)`; the caller reuses `buf` once this returns, so
   * whatever the socket does not take at once is copied. False as `write`.
   */
  writeCopy(buf: Uint8Array, length: number): boolean;
  /** Sends one chunked-encoding chunk: size line, data, CRLF, in as few writes as the socket allows. */
  writeChunk(data: Uint8Array): boolean;
  pause(): void;
  resume(): void;
  /** Closes the connection at once; no event follows. */
  destroy(): void;
  /** Sends what is queued, then closes the connection (FIN), released at the latest {@link LINGER_MS} later; no event follows. */
  end(): void;
}

/** A listening socket. */
export interface Listener {
  /** The port it listens on (the one chosen when 0 was asked). */
  readonly port: number;
  /** Stops accepting; open connections stay. A second call does nothing (never throws). */
  close(): void;
}

/** Takes an accepted connection: returns where its events go. `remoteAddress` is the peer's IP, IPv4-mapped prefix stripped. */
export type Accept = (socket: TransportSocket, remoteAddress: string) => TransportEvents;

/**
 * Whether a listener keeps a connection it accepted (its connection cap,
 * `ConnectionGate` in `app/server/connection-gate.ts`). The transport asks
 * before golb makes anything for the connection (no socket wrapper, no
 * handlers): a refused one is closed at once, nothing read and nothing
 * answered, which costs little more than the accept and the close.
 */
export interface Admission {
  /** A connection was accepted: true keeps it, false has it closed at once. */
  admit(): boolean;
  /** A kept connection's socket was released (its descriptor closed); once per admitted connection. */
  release(): void;
}

/** Opens connections. */
export interface Transport {
  /** The runtime's name for logs and tests, e.g. `node:net`. */
  readonly name: string;
  connect(host: string, port: number, events: TransportEvents): TransportSocket;
  /**
   * Listens on `host:port`; rejects when it cannot (the address is taken).
   * An accept that fails (EMFILE, ENFILE: out of descriptors) neither stops
   * the listener nor is retried in a tight loop.
   */
  listen(host: string, port: number, accept: Accept, admission: Admission): Promise<Listener>;
}

/** Strips the IPv4-mapped prefix so every runtime reports `127.0.0.1` alike. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
