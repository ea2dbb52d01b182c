/**
 * An in-memory {@link Transport}: golb's server and client over pipes in one
 * process, with no socket, so the connection, the exchange and forwarding get
 * unit tests. It keeps the transport contract (`app/net/transport.ts`):
 * events go to the events given, never after `destroy()`; `write` drops no
 * byte; `pause()` holds `onData` until `resume()`; a FIN is `onEnd` and the
 * side that got it still writes. Bytes are delivered in a later microtask,
 * in order, as a socket delivers them in a later turn.
 *
 * A test plays the other side with a {@link MemoryPeer}: it sends raw bytes
 * and reads what golb wrote.
 * @module
 */
import type { Accept, Admission, Listener, Transport, TransportEvents, TransportSocket } from '../../app/net/transport.ts';

/** One end of an in-memory connection. */
export class MemorySocket implements TransportSocket {
  events: TransportEvents | undefined;
  peer: MemorySocket | undefined = undefined;
  /** Bytes written to this end, not yet delivered (the end is paused, or the delivery is pending). */
  private inbox: Buffer[] = [];
  private finPending = false;
  private paused = false;
  private scheduled = false;
  /** This end will report nothing more (it closed, or was told the connection is gone). */
  closed = false;
  /** This end sent its FIN. */
  ended = false;

  constructor(events?: TransportEvents) {
    this.events = events;
  }

  write(data: string | Uint8Array): boolean {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    if (this.closed || this.ended) return true;
    this.peer?.receive(bytes);
    return true;
  }

  writeCopy(buf: Uint8Array, length: number): boolean {
    return this.write(buf.subarray(0, length));
  }

  writeChunk(data: Uint8Array): boolean {
    this.write(`${data.length.toString(16)}\r\n`);
    this.write(data);
    return this.write('\r\n');
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer?.gone('reset by peer');
  }

  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.closed = true;
    this.peer?.fin();
  }

  /** Bytes from the peer. */
  receive(bytes: Buffer): void {
    if (this.closed) return;
    this.inbox.push(bytes);
    this.schedule();
  }

  /** The peer sent its FIN: delivered after the bytes before it. */
  fin(): void {
    this.finPending = true;
    this.schedule();
  }

  /** The peer is gone. */
  gone(error: string | undefined): void {
    queueMicrotask(() => {
      if (this.closed) return;
      this.closed = true;
      this.events?.onClose(error);
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (!this.paused && !this.closed && this.inbox.length > 0) this.events?.onData(this.inbox.shift()!);
    if (this.finPending && !this.paused && !this.closed && this.inbox.length === 0) {
      this.finPending = false;
      this.events?.onEnd();
      // The peer's side is closed already: once this side closes too the connection is gone.
      if (!this.closed && this.peer?.closed) {
        this.closed = true;
        this.events?.onClose(undefined);
      }
    }
  }
}

/** A test's end of a connection: raw bytes in, what the other side wrote out. */
export class MemoryPeer implements TransportEvents {
  /** The connected end it writes through (set by {@link MemoryTransport.dial}). */
  socket: MemorySocket | undefined = undefined;
  private readonly chunks: Buffer[] = [];
  opened = false;
  ended = false;
  closed: string | undefined | false = false;
  private waiters: (() => void)[] = [];

  /** Everything received so far, as latin1 text. */
  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  send(data: string | Uint8Array): void {
    this.socket!.write(data);
  }

  /** Sends a FIN. */
  end(): void {
    this.socket!.end();
  }

  /** Resolves once `done(text)` holds (checked after each event), or rejects after `ms`. */
  until(done: (text: string) => boolean, ms = 2_000): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; received ${JSON.stringify(this.text)}`)), ms);
      const check = () => {
        if (done(this.text)) {
          clearTimeout(timer);
          resolve(this.text);
          return;
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** Resolves once the other side closed the connection (its FIN, or a reset). */
  closedDown(ms = 2_000): Promise<string> {
    return this.until(() => this.ended || this.closed !== false, ms);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  onOpen(): void {
    this.opened = true;
    this.wake();
  }

  onData(data: Buffer): void {
    this.chunks.push(data);
    this.wake();
  }

  onDrain(): void {}

  onEnd(): void {
    this.ended = true;
    this.wake();
  }

  onClose(error: string | undefined): void {
    this.closed = error;
    this.wake();
  }
}

/** Pipes a `connect` to a `listen` on the same host and port, in memory. */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  private readonly listeners = new Map<string, { accept: Accept; admission: Admission }>();
  private nextPort = 40_000;
  /** Connections accepted, per `host:port`. */
  readonly accepted = new Map<string, number>();

  connect(host: string, port: number, events: TransportEvents): TransportSocket {
    const near = new MemorySocket(events);
    const key = `${host}:${port}`;
    const listener = this.listeners.get(key);
    if (listener === undefined || !listener.admission.admit()) {
      near.gone('connection refused');
      return near;
    }
    const far = new MemorySocket();
    near.peer = far;
    far.peer = near;
    this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
    far.events = listener.accept(far, '127.0.0.1');
    queueMicrotask(() => {
      if (!near.closed) events.onOpen();
      if (!far.closed) far.events?.onOpen();
    });
    return near;
  }

  async listen(host: string, port: number, accept: Accept, admission: Admission): Promise<Listener> {
    const chosen = port === 0 ? this.nextPort++ : port;
    const key = `${host}:${chosen}`;
    if (this.listeners.has(key)) throw new Error(`${key} is taken`);
    this.listeners.set(key, { accept, admission });
    return { port: chosen, close: () => void this.listeners.delete(key) };
  }

  /** A test's connection to `host:port`: it sends raw bytes as a client would. */
  dial(host: string, port: number): MemoryPeer {
    const peer = new MemoryPeer();
    peer.socket = this.connect(host, port, peer) as MemorySocket;
    return peer;
  }
}

/** An admission that keeps every connection. */
export const ADMIT_ALL: Admission = { admit: () => true, release: () => undefined };
