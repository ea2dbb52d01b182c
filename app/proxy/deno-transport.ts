/**
 * The engine's transport on Deno's own sockets (`Deno.connect`), without the
 * `node:net` compatibility layer (streams, event emitters, libuv-style
 * wrappers) in between. One read loop per connection; writes are chained, so
 * bytes keep their order, and `write` returns false while one is in flight.
 *
 * Only imported by `main.deno.ts`; typed through a local interface so the
 * other runtimes' type check does not need Deno's declarations.
 * @module
 */
import { Buffer } from 'node:buffer';
import type { Transport, TransportEvents, TransportSocket } from './transport.ts';

/** The part of `Deno.TcpConn` used here. */
interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  setNoDelay(noDelay?: boolean): void;
  close(): void;
}

/** The part of the `Deno` namespace used here. */
interface DenoNet {
  connect(options: { hostname: string; port: number; transport: 'tcp' }): Promise<DenoConn>;
}

/** First read size; a read that fills its buffer doubles the next one, up to {@link MAX_READ}. */
const MIN_READ = 16 * 1024;
const MAX_READ = 256 * 1024;
const CRLF = '\r\n';

/** One `Deno.connect` connection. */
class DenoSocket implements TransportSocket {
  private conn: DenoConn | undefined = undefined;
  private readonly events: TransportEvents;
  private closed = false;
  private paused = false;
  private wake: (() => void) | undefined = undefined;
  /** Bytes waiting for the write in flight to finish, oldest first. */
  private queue: Uint8Array[] = [];
  private writing = false;

  constructor(deno: DenoNet, host: string, port: number, events: TransportEvents) {
    this.events = events;
    deno.connect({ hostname: host, port, transport: 'tcp' }).then(
      (conn) => this.opened(conn),
      (err: unknown) => this.close(err instanceof Error ? err.message : String(err)),
    );
  }

  private opened(conn: DenoConn): void {
    if (this.closed) {
      closeQuietly(conn);
      return;
    }
    this.conn = conn;
    conn.setNoDelay(true);
    this.events.onOpen();
    if (this.queue.length > 0) void this.flush();
    void this.readLoop(conn);
  }

  private async readLoop(conn: DenoConn): Promise<void> {
    let size = MIN_READ;
    try {
      while (!this.closed) {
        if (this.paused) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        const buffer = new Uint8Array(size);
        const n = await conn.read(buffer);
        if (this.closed) return;
        if (n === null) {
          this.events.onEnd();
          return;
        }
        if (n === size && size < MAX_READ) size *= 2;
        this.events.onData(Buffer.from(buffer.buffer, 0, n));
      }
    } catch (err) {
      this.close(err instanceof Error ? err.message : String(err));
    }
  }

  private async flush(): Promise<void> {
    const conn = this.conn;
    if (conn === undefined || this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const bytes = this.queue[0]!;
        const n = await conn.write(bytes);
        if (n < bytes.length) this.queue[0] = bytes.subarray(n);
        else this.queue.shift();
      }
    } catch (err) {
      this.close(err instanceof Error ? err.message : String(err));
      return;
    } finally {
      this.writing = false;
    }
    if (!this.closed) this.events.onDrain();
  }

  private close(error: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.wake?.();
    if (this.conn !== undefined) closeQuietly(this.conn);
    this.events.onClose(error);
  }

  write(data: string | Uint8Array): boolean {
    if (this.closed) return false;
    this.queue.push(typeof data === 'string' ? Buffer.from(data) : data);
    if (this.conn !== undefined && !this.writing) void this.flush();
    return false;
  }

  writeChunk(data: Uint8Array): boolean {
    const size = data.length.toString(16);
    const chunk = Buffer.allocUnsafe(size.length + 2 + data.length + 2);
    chunk.write(size + CRLF, 0, 'latin1');
    chunk.set(data, size.length + 2);
    chunk.write(CRLF, size.length + 2 + data.length, 'latin1');
    return this.write(chunk);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.wake?.();
    if (this.conn !== undefined) closeQuietly(this.conn);
  }
}

function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** `Deno.connect` sockets, for golb on Deno. */
export function denoTransport(deno: DenoNet): Transport {
  return {
    name: 'deno',
    blobBodies: false,
    connect: (host, port, events) => new DenoSocket(deno, host, port, events),
  };
}
