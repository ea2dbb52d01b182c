/**
 * Raw HTTP/1.1 over TCP for the end-to-end tests: a client connection that
 * reads responses one at a time with exact framing (so a test can tell a
 * complete response from a cut one, and see every header line as sent), and a
 * scripted upstream server that answers with whatever bytes a test gives it.
 * Deliberately small and strict; it only has to understand what golb sends.
 * @module
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One response as read off the wire. */
export interface RawResponse {
  status: number;
  reason: string;
  /** Header lines in order, names lower-cased, duplicates kept. */
  headers: [string, string][];
  /** The body bytes after de-chunking (whatever arrived, when incomplete). */
  body: Buffer;
  /** How the body was delimited. */
  framing: 'none' | 'length' | 'chunked' | 'close';
  /** True when the framing says the response ended (a close-delimited body: the peer closed). */
  complete: boolean;
  /** Every value of one header. */
  all(name: string): string[];
  /** The first value of one header, or undefined. */
  get(name: string): string | undefined;
}

function makeResponse(status: number, reason: string, headers: [string, string][]): RawResponse {
  return {
    status,
    reason,
    headers,
    body: Buffer.alloc(0),
    framing: 'none',
    complete: false,
    all: (name) => headers.filter(([n]) => n === name).map(([, v]) => v),
    get: (name) => headers.find(([n]) => n === name)?.[1],
  };
}

type Parsed = { res: RawResponse; used: number } | 'more' | 'malformed';

/** Parses one response from `buf`; `eof` is true when the peer closed. */
function parseResponse(buf: Buffer, isHead: boolean, eof: boolean): Parsed {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return 'more';
  const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (m === null) return 'malformed';
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(':');
    if (colon <= 0) return 'malformed';
    headers.push([l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()]);
  }
  const res = makeResponse(Number(m[1]), m[2] ?? '', headers);
  let pos = headEnd + 4;
  const te = res.get('transfer-encoding');
  const cl = res.get('content-length');
  if (isHead || res.status < 200 || res.status === 204 || res.status === 304) {
    res.complete = true;
    return { res, used: pos };
  }
  if (te !== undefined && /chunked\s*$/i.test(te)) {
    res.framing = 'chunked';
    const parts: Buffer[] = [];
    for (;;) {
      const nl = buf.indexOf('\r\n', pos);
      if (nl < 0) break;
      const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(buf.toString('latin1', pos, nl));
      if (size === null) return 'malformed';
      const n = parseInt(size[1]!, 16);
      if (n === 0) {
        // Trailers, then an empty line.
        let t = nl + 2;
        for (;;) {
          const e = buf.indexOf('\r\n', t);
          if (e < 0) break;
          if (e === t) {
            res.body = Buffer.concat(parts);
            res.complete = true;
            return { res, used: e + 2 };
          }
          t = e + 2;
        }
        break;
      }
      if (buf.length < nl + 2 + n + 2) {
        parts.push(buf.subarray(nl + 2, Math.min(buf.length, nl + 2 + n)));
        break;
      }
      if (buf[nl + 2 + n] !== 13 || buf[nl + 3 + n] !== 10) return 'malformed';
      parts.push(buf.subarray(nl + 2, nl + 2 + n));
      pos = nl + 4 + n;
    }
    if (!eof) return 'more';
    res.body = Buffer.concat(parts);
    return { res, used: buf.length };
  }
  if (cl !== undefined) {
    res.framing = 'length';
    const n = Number(cl);
    if (buf.length - pos >= n) {
      res.body = buf.subarray(pos, pos + n);
      res.complete = true;
      return { res, used: pos + n };
    }
    if (!eof) return 'more';
    res.body = buf.subarray(pos);
    return { res, used: buf.length };
  }
  res.framing = 'close';
  if (!eof) return 'more';
  res.body = buf.subarray(pos);
  res.complete = true;
  return { res, used: buf.length };
}

/** A raw client connection that reads responses with exact framing. */
export class RawClient {
  private readonly socket: Socket;
  private buf = Buffer.alloc(0);
  /** True once the peer closed (or reset) the connection. */
  closed = false;
  private wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to `port` on loopback. */
  static connect(port: number): Promise<RawClient> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => res(new RawClient(s)));
      s.once('error', rej);
    });
  }

  /** Sends bytes (ignores errors: the peer may have closed already). */
  write(bytes: string | Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /**
   * The next response; interim 1xx responses are skipped. Resolves undefined
   * when the connection closed (or `timeoutMs` passed) before a status line;
   * a response cut short resolves with `complete: false`.
   */
  async response(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse | undefined> {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    for (;;) {
      const eof = this.closed || Date.now() >= deadline;
      const p = parseResponse(this.buf, opts.head === true, eof);
      if (p === 'malformed') throw new Error(`malformed response: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
      if (p !== 'more') {
        this.buf = this.buf.subarray(p.used);
        if (p.res.status < 200) continue;
        return p.res;
      }
      if (eof) return undefined;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  /** Waits until the peer closes, at most `ms`; true when it did. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  /** Everything received and not yet consumed by {@link response}. */
  get pending(): string {
    return this.buf.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * One raw request on a fresh connection; the first response (or undefined when
 * the connection closed without one).
 */
export async function rawExchange(port: number, bytes: string | Buffer, opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse | undefined> {
  const c = await RawClient.connect(port);
  try {
    c.write(bytes);
    return await c.response(opts);
  } finally {
    c.close();
  }
}

/** A request as the scripted upstream read it. */
export interface ScriptedRequest {
  method: string;
  target: string;
  /** Header lines, names lower-cased. */
  headers: [string, string][];
}

/** What a scripted upstream does with one request. */
export type Script = (req: ScriptedRequest, socket: Socket) => void;

/** A raw upstream server: every request (bodyless) is answered by its script. */
export interface ScriptedUpstream {
  port: number;
  address: string;
  server: Server;
  /** TCP connections accepted. */
  connections: number;
  /** Requests read, in order. */
  seen: ScriptedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an upstream that parses request heads itself and lets `script` write
 * any bytes back, valid HTTP or not. Requests must be bodyless (GET, HEAD).
 */
export async function startScriptedUpstream(script: Script): Promise<ScriptedUpstream> {
  const sockets = new Set<Socket>();
  const up: ScriptedUpstream = {
    port: 0,
    address: '',
    server: createServer((socket) => {
      up.connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let buf = '';
      socket.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const lines = buf.slice(0, end).split('\r\n');
          buf = buf.slice(end + 4);
          const [method = '', target = ''] = lines[0]!.split(' ');
          const headers = lines.slice(1).map((l): [string, string] => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
          const req = { method, target, headers };
          up.seen.push(req);
          script(req, socket);
        }
      });
    }),
    connections: 0,
    seen: [],
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        up.server.close(() => r());
      }),
  };
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', r));
  up.port = (up.server.address() as AddressInfo).port;
  up.address = `127.0.0.1:${up.port}`;
  return up;
}
