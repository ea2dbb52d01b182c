/**
 * The `node:net` transport (`transport.ts`): Node's sockets, and Deno's
 * compatibility layer. Its own module so that Bun, which uses
 * `bun-transport.ts`, never loads `node:net` (about 1 MB of resident memory).
 * @module
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { LINGER_MS, plainAddress, type Listener, type Transport, type TransportEvents, type TransportSocket } from './transport.ts';

const CRLF = '\r\n';
/** Node itself, not Deno's compatibility layer: two choices below differ between them. */
const ON_NODE = !('Deno' in globalThis);
/** Node: small copied writes go as latin1 strings ({@link NodeSocket.writeCopy}). */
const STRING_HEADS = ON_NODE;
/** Largest write sent as a string. */
const STRING_HEAD_MAX = 16 * 1024;

/**
 * Upstream sockets read into a buffer of golb's (`onread`), and each read is
 * copied out at once ({@link NodeSocket.received}). A read then skips the
 * readable stream (`push`, `addChunk`, the `data` event) and the runtime's
 * fresh 64 KiB buffer per read, which costs less CPU per proxied request on
 * both Node and Deno (docs/performance.md, "Choices the measurements made").
 *
 * On Node one buffer serves every socket: Node reads and calls back in one
 * step. Deno's layer keeps a read in flight on each socket and calls back
 * later, so a shared buffer could be overwritten before its callback ran:
 * there each upstream socket has its own {@link DENO_READ_BYTES}.
 */
const SHARED_READ_BUFFER = ON_NODE ? Buffer.allocUnsafe(64 * 1024) : undefined;
/** The read buffer of each upstream socket on Deno: a small response in one read, a streamed body in reads of this size. */
const DENO_READ_BYTES = 16 * 1024;

/**
 * The first `length` bytes of `buf`, copied into a Buffer of their own. The
 * copy goes through a plain view: on Deno, whose Buffer methods are
 * JavaScript, it is several times cheaper than `Buffer.from(buf.subarray(…))`
 * or `buf.copy`, and on Node no dearer (docs/performance.md).
 */
export function copyOf(buf: Uint8Array, length: number): Buffer {
  const copy = Buffer.allocUnsafe(length);
  copy.set(new Uint8Array(buf.buffer, buf.byteOffset, length));
  return copy;
}

/** Told the size of every read of a `node:net` socket, when set ({@link watchReads}). */
let readWatcher: ((bytes: number) => void) | undefined;

/** Tells the read watcher of a read (`deno-transport.ts`'s sockets count with `node:net`'s). */
export function noteRead(bytes: number): void {
  if (readWatcher !== undefined) readWatcher(bytes);
}

/** Has `watcher` told the size of every read of every `node:net` socket (`collecting-transport.ts`); undefined stops it. */
export function watchReads(watcher: ((bytes: number) => void) | undefined): void {
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
      noteRead(data.length);
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

  /** A read into the socket's read buffer (`onread`): its `n` bytes, copied (the buffer takes the next read); true keeps reading. */
  received(buf: Buffer, n: number): boolean {
    noteRead(n);
    if (this.closed) return true;
    this.events.onData(copyOf(buf, n));
    return true;
  }

  private close(error: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(error);
  }

  write(data: string | Uint8Array): boolean {
    // Strings (heads golb writes itself, chunk ends) go as latin1: one byte per character, as header values arrive.
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  writeCopy(buf: Uint8Array, length: number): boolean {
    // node:net keeps what it is handed until it is sent: a copy. On Node a head
    // goes as a latin1 string, which Node writes straight from the string with
    // no Buffer made (the profile loses the Buffer's allocation; the CPU per
    // request is no worse: docs/performance.md). Deno's layer would encode the string
    // into a new buffer: a Buffer there.
    if (STRING_HEADS && length <= STRING_HEAD_MAX) return this.socket.write(Buffer.prototype.toString.call(buf, 'latin1', 0, length), 'latin1');
    return this.socket.write(copyOf(buf, length));
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
    const socket = this.socket;
    socket.end();
    // Half-open, the socket lives until the peer closes its side too; a peer
    // that never does gets it destroyed LINGER_MS after the last byte went out.
    socket.once('finish', () => {
      const linger = setTimeout(() => socket.destroy(), LINGER_MS);
      socket.once('close', () => clearTimeout(linger));
    });
  }
}

/** `node:net` sockets: Node's own, and Deno's compatibility layer (Bun has `bun-transport.ts`). */
export const nodeTransport: Transport = {
  name: 'node:net',
  connect(host, port, events) {
    // The socket's data comes through `onread`, never as `data` events.
    let socket: NodeSocket | undefined;
    const received = (n: number, buf: Uint8Array): boolean => socket!.received(buf as Buffer, n);
    const buffer = SHARED_READ_BUFFER ?? Buffer.allocUnsafe(DENO_READ_BYTES);
    socket = new NodeSocket(connect({ host, port, noDelay: true, onread: { buffer, callback: received } }));
    socket.events = events;
    return socket;
  },
  listen(host, port, accept, admission) {
    const server = createServer({ allowHalfOpen: true }, (raw) => {
      if (!admission.admit()) {
        // Past the cap: closed before anything is read or any handler is attached.
        raw.destroy();
        return;
      }
      raw.once('close', () => admission.release());
      raw.setNoDelay(true);
      const socket = new NodeSocket(raw);
      socket.events = accept(socket, plainAddress(raw.remoteAddress));
    });
    return new Promise<Listener>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        // A failed accept is not fatal: the server goes on. Out of descriptors
        // (EMFILE, ENFILE), libuv closes a spare descriptor it keeps, accepts
        // and closes what waits in the backlog, and opens the spare again, so
        // its loop does not spin on a listener that stays readable.
        server.on('error', () => undefined);
        // A second close does nothing (it is not listening any more).
        resolve({ port: (server.address() as AddressInfo).port, close: () => void (server.listening && server.close()) });
      });
    });
  },
};
