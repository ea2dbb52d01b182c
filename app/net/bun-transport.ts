/**
 * The transport on Bun's native sockets (`Bun.connect` for upstreams,
 * `Bun.listen` for golb's server). Bun's
 * `node:net` is a JavaScript layer (streams, event emitters, write queues)
 * over the same sockets; a profile of golb on it spent about half its samples
 * in that layer's write path. Here one handler object serves every socket,
 * the connection object rides along as the socket's `data`, and a write is
 * one `send` unless the kernel's buffer is full.
 *
 * Backpressure: `socket.write` takes what the kernel accepts and returns the
 * count; the rest is queued here, in order, and written on `drain`, and the
 * engine is told to wait (`write` returns false) until then. Bytes written
 * before the connection opens are queued the same way.
 *
 * Only imported by `main.bun.ts`: the other runtimes have no `Bun` global.
 * @module
 */
import type { Socket, SocketHandler } from 'bun';
import { chunkBytes } from '../http/syntax.ts';
import { plainAddress, type Accept, type Admission, type Listener, type Transport, type TransportEvents, type TransportSocket } from './transport.ts';

/** Characters of a string written through the scratch buffer (latin1: one byte each). */
const SCRATCH_CHARS = 16 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_CHARS);

/** One Bun socket (connected or accepted); events go to the engine's or the server's connection. */
class BunSocket implements TransportSocket {
  socket: Socket<BunSocket> | undefined = undefined;
  /** Set before the socket opens. */
  events!: TransportEvents;
  /** Bytes the kernel has not taken yet, oldest first; undefined when none. */
  private queue: Uint8Array[] | undefined = undefined;
  closed = false;
  /** `end()` was called with bytes still queued: FIN once they are written. */
  private ending = false;
  /** `pause()` asked for before the socket opened. */
  pausedEarly = false;

  opened(socket: Socket<BunSocket>): void {
    if (this.closed) {
      socket.end();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    if (this.pausedEarly) (socket as unknown as Pausable).pause();
    this.events.onOpen();
    if (this.queue !== undefined && this.flush()) this.events.onDrain();
  }

  /** Writes what is queued; true when the queue is empty. */
  flush(): boolean {
    const socket = this.socket;
    const queue = this.queue;
    if (socket === undefined || queue === undefined) return queue === undefined;
    while (queue.length > 0) {
      const bytes = queue[0]!;
      const n = socket.write(bytes);
      if (n < 0) return false; // closing: the close event follows
      if (n < bytes.length) {
        queue[0] = bytes.subarray(n);
        return false;
      }
      queue.shift();
    }
    this.queue = undefined;
    if (this.ending) {
      this.socket = undefined;
      socket.end();
    }
    return true;
  }

  /** A drain: writes what is queued; true when the owner should hear of it. */
  drained(): boolean {
    if (this.ending) {
      this.flush();
      return false;
    }
    return !this.closed && this.flush();
  }

  closedBy(error: string | undefined): void {
    this.ending = false;
    this.socket = undefined;
    this.queue = undefined;
    if (this.closed) return; // closed by us (destroy, end): no event
    this.closed = true;
    this.events.onClose(error);
  }

  write(data: string | Uint8Array): boolean {
    if (typeof data !== 'string') return this.writeBytes(data);
    // Strings are heads golb writes itself and chunk ends: header values arrive
    // as one character per byte (latin1), so they go out the same way.
    if (data.length > SCRATCH_CHARS) return this.writeBytes(Buffer.from(data, 'latin1'));
    // Encoded into a reused buffer, so a partial write is known to the byte.
    return this.writeCopy(scratch, scratch.write(data, 0, 'latin1'));
  }

  writeCopy(buf: Uint8Array, length: number): boolean {
    const socket = this.socket;
    if (this.queue === undefined && socket !== undefined) {
      const n = socket.write(buf, 0, length);
      if (n === length) return true;
      if (n < 0) return false;
      this.enqueue(Buffer.from(buf.subarray(n, length)));
      return false;
    }
    this.enqueue(Buffer.from(buf.subarray(0, length)));
    return false;
  }

  private writeBytes(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (this.queue === undefined && socket !== undefined) {
      const n = socket.write(bytes);
      if (n === bytes.length) return true;
      if (n < 0) return false;
      this.enqueue(bytes.subarray(n));
      return false;
    }
    this.enqueue(bytes);
    return false;
  }

  private enqueue(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.queue === undefined) this.queue = [bytes];
    else this.queue.push(bytes);
  }

  writeChunk(data: Uint8Array): boolean {
    // One buffer, one write.
    return this.writeBytes(chunkBytes(data));
  }

  pause(): void {
    if (this.socket === undefined) this.pausedEarly = true;
    else (this.socket as unknown as Pausable).pause();
  }

  resume(): void {
    if (this.socket === undefined) this.pausedEarly = false;
    else (this.socket as unknown as Pausable).resume();
  }

  destroy(): void {
    // Also after end() with bytes still queued: they are dropped and the socket released.
    if (this.closed && !this.ending) return;
    this.closed = true;
    this.ending = false;
    this.queue = undefined;
    const socket = this.socket;
    this.socket = undefined;
    // end() sends FIN and releases the socket at once (its close handler runs now and is ignored).
    socket?.end();
  }

  end(): void {
    if (this.closed) return;
    if (this.queue === undefined || this.socket === undefined) {
      this.destroy(); // nothing left to write: FIN now
      return;
    }
    this.closed = true;
    this.ending = true; // the drain handler writes the rest, then ends
  }
}

/** Bun's sockets have pause/resume (used by its node:net), missing from the typings. */
interface Pausable {
  pause(): void;
  resume(): void;
}

function ignore(): void {}

/**
 * While bodies stream, Bun hands each read over in a buffer of its own, up to
 * 512 KiB, and its collector frees them late: a 1 GiB download grew golb's RSS
 * by about 30 MB. A full collection after every {@link COLLECT_EVERY_BYTES} read
 * in large reads keeps it well under that, for about 9 ms each (some 150 ms per
 * GiB streamed; docs/performance.md has the figures). Reads of small requests (under {@link LARGE_READ}) do not count,
 * so request traffic never pays the pause.
 */
const COLLECT_EVERY_BYTES = 64 * 1024 * 1024;
const LARGE_READ = 16 * 1024;
/** Bytes read in large reads since the last collection. */
let streamed = 0;

/** One handler object for every upstream socket (and, with its own `open`, every accepted one); `socket.data` is the {@link BunSocket}. */
const HANDLERS: SocketHandler<BunSocket> = {
  binaryType: 'buffer',
  open(socket) {
    socket.data.opened(socket);
  },
  data(socket, data) {
    if ((data as Buffer).length >= LARGE_READ && (streamed += (data as Buffer).length) >= COLLECT_EVERY_BYTES) {
      streamed = 0;
      Bun.gc(true);
    }
    const s = socket.data;
    if (!s.closed) s.events.onData(data as Buffer);
  },
  drain(socket) {
    const s = socket.data;
    if (s.drained()) s.events.onDrain();
  },
  end(socket) {
    const s = socket.data;
    if (!s.closed) s.events.onEnd();
  },
  close(socket, error) {
    socket.data.closedBy(error?.message);
  },
  error(socket, error) {
    socket.data.closedBy(error.message);
  },
  connectError(socket, error) {
    socket.data.closedBy(error.message);
  },
};

/**
 * The handlers of accepted sockets: as {@link HANDLERS}, but `open` asks the
 * listener's admission first, then makes the {@link BunSocket} and asks its
 * `accept` for the events; `close` tells the admission. A refused socket has
 * no `data`.
 *
 * Out of descriptors, Bun's listener retries its failed accept at once, for as
 * long as the connection waits in the backlog: a core spins (there is nothing
 * to hook here; the failure never reaches JavaScript). The connection cap is
 * what keeps golb's own connections from getting there.
 */
function serverHandlers(accept: Accept, admission: Admission): SocketHandler<BunSocket | undefined> {
  return {
    ...(HANDLERS as SocketHandler<BunSocket | undefined>),
    open(socket) {
      if (!admission.admit()) {
        // Past the cap: FIN, nothing read; Bun releases the descriptor now (the close handler runs at once).
        socket.end();
        return;
      }
      const s = new BunSocket();
      s.events = accept(s, plainAddress(socket.remoteAddress));
      socket.data = s;
      s.opened(socket as Socket<BunSocket>);
    },
    close(socket, error) {
      const s = socket.data;
      if (s === undefined) return; // refused
      admission.release();
      s.closedBy(error?.message);
    },
    error(socket, error) {
      socket.data?.closedBy(error.message);
    },
  };
}

/** Bun's native sockets, for golb on Bun. */
export const bunTransport: Transport = {
  name: 'bun',
  connect(host, port, events) {
    const s = new BunSocket();
    s.events = events;
    Bun.connect<BunSocket>({ hostname: host, port, socket: HANDLERS, data: s }).catch(ignore);
    return s;
  },
  listen(host, port, accept, admission): Promise<Listener> {
    try {
      const server = Bun.listen<BunSocket | undefined>({ hostname: host, port, allowHalfOpen: true, socket: serverHandlers(accept, admission), data: undefined });
      let stopped = false;
      return Promise.resolve({
        port: server.port,
        close: () => {
          if (stopped) return;
          stopped = true;
          server.stop(false);
        },
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  },
};
