/**
 * golb's server sockets on Deno: clients accepted with `Deno.listen` and read
 * with `conn.read` into a buffer per connection, each read copied out.
 * Deno's `node:net` sockets read each chunk into a fresh 64 KiB buffer and push
 * it through a readable stream; serving clients this way costs less CPU per
 * request (docs/performance.md, "Choices the measurements made"), and an
 * upload no longer leaves a trail of 64 KiB buffers for the collector.
 * Upstream connections stay on `node:net` (`node-transport.ts`), whose reads
 * already go into golb's buffers and whose writes are synchronous.
 *
 * Writes: each goes to `conn.write` in order, one at a time; what waits is
 * queued, and `write` returns false once {@link HIGH_WATER} bytes wait, with
 * `onDrain` when the queue is empty again. `end()` writes what waits, shuts
 * the sending side (FIN) and reads until the client closes, so a client
 * still sending never gets a reset in place of its answer; a client that has
 * not closed {@link LINGER_MS} later is closed on.
 * @module
 */
import { copyOf, noteRead } from './node-transport.ts';
import { chunkBytes } from '../http/syntax.ts';
import { LINGER_MS, plainAddress, type Accept, type Admission, type Listener, type Transport, type TransportEvents, type TransportSocket } from './transport.ts';

/** What golb uses of a `Deno.Conn` (typed here: the type checker of the other runtimes has no `Deno`). */
interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay(noDelay?: boolean): void;
  readonly remoteAddr: { hostname?: string };
}

/** What golb uses of a `Deno.Listener`. */
interface DenoListener {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: { port?: number };
}

/** What golb uses of the `Deno` namespace. */
interface DenoNamespace {
  listen(options: { hostname: string; port: number }): DenoListener;
}

/** Bytes a connection reads at once. */
const READ_BYTES = 16 * 1024;
/** Queued bytes past which `write` asks the caller to wait for `onDrain`. */
const HIGH_WATER = 64 * 1024;
/** The pause after a failed accept: a few tries a second cost nothing, and descriptors freed meanwhile are used at the next. */
const ACCEPT_RETRY_MS = 100;

/** Closes a connection that may be closed already. */
function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/** An accepted client connection. */
class DenoSocket implements TransportSocket {
  /** Set before {@link start}. */
  events!: TransportEvents;
  private readonly conn: DenoConn;
  /** destroy() or end() was called, or the connection failed: no event follows. */
  private closed = false;
  private paused = false;
  /** Wakes the read loop waiting for resume(). */
  private wake: (() => void) | undefined = undefined;
  /** Bytes waiting for `conn.write`, oldest first. */
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private writing = false;
  /** A write returned false: onDrain is owed. */
  private blocked = false;
  /** end() was called: FIN once the queue is written. */
  private ending = false;
  /** Closes an ended connection whose client has not closed its side in time. */
  private linger: ReturnType<typeof setTimeout> | undefined = undefined;

  /** Told once, when the connection is closed for good; undefined after. */
  private admission: Admission | undefined;

  constructor(conn: DenoConn, admission: Admission) {
    this.conn = conn;
    this.admission = admission;
  }

  /** Starts reading (once `events` is set). */
  start(): void {
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    const conn = this.conn;
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        noteRead(n);
        if (this.closed) continue; // ending: the client's bytes are read and dropped until it closes
        const data = copyOf(buf, n);
        if (this.paused) await new Promise<void>((resolve) => (this.wake = resolve));
        if (this.closed) continue;
        this.events.onData(data);
      }
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.ending || this.closed) {
      this.shut();
      return;
    }
    this.events.onEnd();
  }

  write(data: string | Uint8Array): boolean {
    return this.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  writeCopy(buf: Uint8Array, length: number): boolean {
    return this.send(copyOf(buf, length));
  }

  writeChunk(data: Uint8Array): boolean {
    // One buffer, one write.
    return this.send(chunkBytes(data));
  }

  private send(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (!this.writing) void this.flush();
    if (this.queued < HIGH_WATER) return true;
    this.blocked = true;
    return false;
  }

  /** Writes the queue in order, one `conn.write` at a time. */
  private async flush(): Promise<void> {
    this.writing = true;
    const queue = this.queue;
    try {
      while (queue.length > 0) {
        const bytes = queue[0]!;
        const n = await this.conn.write(bytes);
        this.queued -= n;
        if (n < bytes.length) queue[0] = bytes.subarray(n);
        else queue.shift();
      }
    } catch (err) {
      this.writing = false;
      this.failed(err);
      return;
    }
    this.writing = false;
    if (this.ending) {
      this.ending = false;
      this.finish();
      return;
    }
    if (this.blocked && !this.closed) {
      this.blocked = false;
      this.events.onDrain();
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  destroy(): void {
    // Also after end(): what still waits is dropped.
    this.ending = false;
    this.queue.length = 0;
    this.queued = 0;
    this.shut();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.resume(); // the read loop drops what still comes until the client closes
    if (this.writing || this.queue.length > 0) this.ending = true;
    else this.finish();
  }

  /** Everything is written after end(): FIN, and a deadline for the client to close its side. */
  private finish(): void {
    this.conn.closeWrite().catch(() => this.shut());
    this.linger = setTimeout(() => this.shut(), LINGER_MS);
  }

  /** Closes the connection for good (once). */
  private shut(): void {
    this.closed = true;
    if (this.linger !== undefined) {
      clearTimeout(this.linger);
      this.linger = undefined;
    }
    this.resume();
    closeQuietly(this.conn);
    const admission = this.admission;
    this.admission = undefined;
    admission?.release();
  }

  /** A read or write failed: the connection is gone. */
  private failed(err: unknown): void {
    const reported = !this.closed;
    this.shut();
    if (reported) this.events.onClose(err instanceof Error ? err.message : String(err));
  }
}

/** `Deno.listen` for golb's server; upstream connections through `upstreams` (`node:net`). */
export function denoTransport(upstreams: Transport): Transport {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  return {
    name: 'deno',
    connect: (host, port, events) => upstreams.connect(host, port, events),
    listen(host: string, port: number, accept: Accept, admission: Admission): Promise<Listener> {
      let listener: DenoListener;
      try {
        listener = deno.listen({ hostname: host, port });
      } catch (err) {
        return Promise.reject(err as Error);
      }
      let stopped = false;
      void (async () => {
        while (!stopped) {
          let conn: DenoConn;
          try {
            conn = await listener.accept();
          } catch {
            if (stopped) return;
            // A failed accept is not fatal, but out of descriptors (EMFILE,
            // ENFILE) the connection stays in the backlog and the next accept
            // fails at once: without a pause this loop would spin.
            await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
            continue;
          }
          if (!admission.admit()) {
            // Past the cap: closed before anything is read.
            closeQuietly(conn);
            continue;
          }
          conn.setNoDelay(true);
          const socket = new DenoSocket(conn, admission);
          socket.events = accept(socket, plainAddress(conn.remoteAddr.hostname));
          socket.start();
        }
      })();
      return Promise.resolve({
        port: listener.addr.port ?? port,
        // Closing twice is harmless (Deno throws BadResource on a second close).
        close: () => {
          if (stopped) return;
          stopped = true;
          listener.close();
        },
      });
    },
  };
}
