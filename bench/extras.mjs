/**
 * What the bench measures besides req/s: golb's memory at rest, its memory
 * while a large body streams through it each way, and a run with many
 * concurrent connections.
 *
 * - idle RSS: resident memory of golb's process tree right after it became
 *   ready, before any load;
 * - streaming: `bytes` downloaded through golb (the upstream nginx serves a
 *   sparse file, conf/upstream.conf `/big`) and `bytes` uploaded through it
 *   (to a sink in this process that counts what it receives), with golb's RSS
 *   sampled every 50 ms; the growth is the peak minus the RSS just before;
 * - wide: one wrk run with `connections` connections (default 1,000), its
 *   req/s and error counts.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';

/** Resident memory in bytes of `pid` and its descendants (VmRSS from /proc). */
export function treeRssBytes(pid) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const p of parent.keys()) {
    let q = p;
    while (q !== undefined && q !== pid && q > 1) q = parent.get(q);
    if (q !== pid) continue;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m !== null) total += Number(m[1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Samples the RSS of `pid` every 50 ms while `work` runs; `{ before, peak, after, result }`. */
async function withRssSampling(pid, work) {
  const before = treeRssBytes(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(pid));
  }, 50);
  try {
    const result = await work();
    peak = Math.max(peak, treeRssBytes(pid));
    return { before, peak, after: treeRssBytes(pid), result };
  } finally {
    clearInterval(timer);
  }
}

/** GET on a fresh connection, the body counted and dropped; resolves `{ status, bytes }`. */
function download(port, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`download not done within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** POSTs `bytes` zero bytes (Content-Length framed) with backpressure; resolves `{ status, body }`. */
function upload(port, path, bytes, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, timeout: timeoutMs, headers: { 'content-length': String(bytes) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`upload not done within ${timeoutMs} ms`)));
    req.on('error', reject);
    const chunk = Buffer.alloc(256 * 1024);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/**
 * A sink upstream in the bench process: reads a request body to its end and
 * answers the byte count. Resolves `{ port, close }`.
 */
export function startSink(port) {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c) => (bytes += c.length));
    req.on('end', () => res.end(`${bytes}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ port, close: () => new Promise((r) => server.close(r)) }));
  });
}

/**
 * Streams `bytes` down and up through a golb target while sampling its
 * memory. Returns `{ down, up }`, each `{ before, peak, after, ok, detail }`.
 */
export async function streamMemory(target, bytes, downloadPath, uploadPath) {
  const timeoutMs = 300_000;
  const down = await withRssSampling(target.proc.pid, () => download(target.port, downloadPath, timeoutMs).catch((err) => ({ error: err.message })));
  const up = await withRssSampling(target.proc.pid, () => upload(target.port, uploadPath, bytes, timeoutMs).catch((err) => ({ error: err.message })));
  const judge = (r, check) => (r.result.error !== undefined ? { ok: false, detail: r.result.error } : check(r.result));
  return {
    down: { ...down, ...judge(down, (r) => ({ ok: r.status === 200 && r.bytes === bytes, detail: `${r.status}, ${r.bytes} bytes` })) },
    up: { ...up, ...judge(up, (r) => ({ ok: r.status === 200 && r.body.trim() === String(bytes), detail: `${r.status}, sink got ${r.body.trim()}` })) },
  };
}

const mb = (n) => (n / (1024 * 1024)).toFixed(1);

/** The markdown table of the extras, one row per target measured. */
export function extrasTable(rows, { bytes, wide }) {
  const gib = bytes / 2 ** 30;
  const size = Number.isInteger(gib) ? `${gib} GiB` : `${mb(bytes)} MiB`;
  const head = ['target', 'idle RSS MB', `${size} down: RSS before → peak MB (growth)`, `${size} up: RSS before → peak MB (growth)`, `-c${wide} req/s`, `-c${wide} p99 ms`, `-c${wide} errors`];
  const lines = [`| ${head.join(' | ')} |`, `|---|---:|---:|---:|---:|---:|---|`];
  const stream = (s) => (s === undefined ? '—' : `${mb(s.before)} → ${mb(s.peak)} (+${mb(s.peak - s.before)})${s.ok ? '' : ` FAILED: ${s.detail}`}`);
  for (const r of rows) {
    const w = r.wide;
    const errors = w === undefined ? '—' : w.error !== undefined ? `FAILED: ${w.error}` : `${w.non2xx} non-2xx, ${w.socketErrors} socket${w.socketErrors > 0 ? ` (connect ${w.socket.connect}, read ${w.socket.read}, write ${w.socket.write}, timeout ${w.socket.timeout})` : ''}`;
    const rps = w === undefined || w.error !== undefined ? '—' : Math.round(w.rps).toLocaleString('en-US');
    const p99 = w === undefined || w.error !== undefined ? '—' : w.p99.toFixed(0);
    lines.push(`| ${[r.name, r.idleRss === undefined ? '—' : mb(r.idleRss), stream(r.stream?.down), stream(r.stream?.up), rps, p99, errors].join(' | ')} |`);
  }
  return lines.join('\n');
}
