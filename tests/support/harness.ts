/**
 * End-to-end harness: real backends on loopback (node:http in the test
 * process) and golb started as a process under Bun, Deno or Node, driven over
 * real sockets.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { golbCommand } from '../../bench/golb-command.mjs';
import { freePort } from '../../scripts/free-port.mjs';

/** The project root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The runtimes golb runs on. */
export const RUNTIMES = ['bun', 'deno', 'node'] as const;
export type Runtime = (typeof RUNTIMES)[number];


export { freePort };

/** A started golb process. */
export interface GolbProcess {
  runtime: Runtime;
  port: number;
  url: string;
  proc: ChildProcess;
  dir: string;
  weightsFile: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Rewrites the weights file. */
  writeWeights(weights: unknown): void;
  /** SIGTERM and wait for exit; resolves the exit code. */
  stop(): Promise<number | null>;
}

/** Options of {@link startGolb}. */
export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
  weights?: unknown;
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
  /** Listen port (a free one when unset). */
  port?: number;
  /** Starts golb with this open-files limit, soft and hard (`ulimit -n` in a shell that then execs it), so the runtime cannot raise it. */
  openFiles?: number;
}

/** Starts golb under `runtime` with a weights file in a fresh directory. */
export async function startGolb(runtime: Runtime, opts: StartOptions = {}): Promise<GolbProcess> {
  const dir = mkdtempSync(join(tmpdir(), `golb-${runtime}-`));
  const weightsFile = join(dir, 'weights.json');
  if (opts.weights !== undefined) writeFileSync(weightsFile, JSON.stringify(opts.weights));
  const port = opts.port ?? (await freePort());
  const [cmd, ...args] = golbCommand(runtime);
  const argv = [cmd!, ...args, ...(opts.args ?? [])];
  // The shell execs golb: the process (and its pid) is golb's.
  const [file, ...fileArgs] = opts.openFiles === undefined ? argv : ['/bin/sh', '-c', `ulimit -n ${opts.openFiles} && exec "$@"`, 'sh', ...argv];
  const proc = spawn(file!, fileArgs, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      DENO_DIR: process.env.DENO_DIR ?? join(ROOT, 'node_modules/.deno-cache'),
      NO_COLOR: '1',
      eb_go_lb_listen_port: String(port),
      eb_go_lb_listen_host: '127.0.0.1',
      // With etcd the file is not read (golb would warn that it is set for nothing).
      ...(opts.env?.eb_go_lb_etcd_host === undefined ? { eb_go_lb_weights_file: weightsFile } : {}),
      eb_go_lb_node_name: `golb-${runtime}`,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const g: GolbProcess = {
    runtime,
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    dir,
    weightsFile,
    output: () => out,
    writeWeights: (w) => writeFileSync(weightsFile, typeof w === 'string' ? w : JSON.stringify(w)),
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  if (opts.waitReady !== false) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`golb (${runtime}) exited ${proc.exitCode}:\n${out}`);
      try {
        const r = await fetch(`${g.url}/readyz`);
        await r.arrayBuffer();
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`golb (${runtime}) not ready in 30 s:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return g;
}

/** A backend handler. */
export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** A real HTTP backend on loopback. */
export interface Backend {
  port: number;
  address: string;
  server: Server;
  /** Requests it received, in order. */
  seen: { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[]; bodyLength: number }[];
  close(): Promise<void>;
}

/**
 * Starts a backend. The default handler answers JSON describing the request:
 * `{port, method, url, headers, bodyLength}`.
 */
export async function startBackend(handler?: Handler): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (c: Buffer) => {
      length += c.length;
      if (length <= 1 << 20) chunks.push(c);
    });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, bodyLength: length });
      const body = Buffer.concat(chunks);
      if (handler) return handler(req, res, body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ port, method: req.method, url: req.url, headers: req.headers, bodyLength: length }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Sends raw bytes over TCP and collects the reply until the peer closes or `ms` pass. */
export async function rawRequest(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((res) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => sock.destroy(), ms);
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('close', () => {
      clearTimeout(timer);
      res(out);
    });
    sock.on('error', () => undefined);
    sock.write(bytes);
  });
}
