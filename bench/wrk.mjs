/**
 * One wrk run and what the bench reads from its `--latency` output.
 * @module
 */
import { readFileSync } from 'node:fs';
import { TOOLS } from './targets.mjs';
import { startProcess, stopProcess } from './procs.mjs';

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `650.00us` / `1.59ms` / `2.01s` → milliseconds. */
function ms(value, unit) {
  return Number(value) * UNIT_MS[unit];
}

/**
 * Reads wrk's report: requests/s, total requests, p50 and p99 in ms, socket
 * errors (connect + read + write + timeout, each also kept) and responses with
 * a status of 400 or more (wrk's "Non-2xx or 3xx responses").
 * @throws when the text is not a complete wrk report
 */
export function parseWrk(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m === null ? undefined : m;
  };
  const rps = num(/^Requests\/sec:\s+([\d.]+)/m);
  const total = num(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m);
  const p50 = num(/^\s+50%\s+([\d.]+)(us|ms|s|m|h)/m);
  const p99 = num(/^\s+99%\s+([\d.]+)(us|ms|s|m|h)/m);
  if (rps === undefined || total === undefined || p50 === undefined || p99 === undefined) {
    throw new Error(`not a complete wrk --latency report:\n${text}`);
  }
  const sock = num(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socket = sock === undefined ? { connect: 0, read: 0, write: 0, timeout: 0 } : { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] };
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  return {
    rps: Number(rps[1]),
    requests: Number(total[1]),
    seconds: ms(total[2], total[3]) / 1000,
    p50: ms(p50[1], p50[2]),
    p99: ms(p99[1], p99[2]),
    socket,
    socketErrors: socket.connect + socket.read + socket.write + socket.timeout,
    non2xx: non2xx === undefined ? 0 : Number(non2xx[1]),
  };
}

/**
 * `wrk -t1 -c<connections> -d<seconds>s --latency <url>`, its output kept in
 * `rawFile`. Runs as a tracked process so Ctrl-C stops it too. `timeout`
 * (seconds, wrk's default 2) is how long a response may take before wrk
 * counts it as a timeout error.
 */
export async function runWrk({ url, connections, seconds, rawFile, timeout }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, ...(timeout === undefined ? [] : ['--timeout', `${timeout}s`]), '--latency', url];
  const proc = startProcess('wrk', TOOLS.wrk, args, { cwd: process.cwd(), env: {}, log: rawFile });
  await proc.ended;
  await stopProcess(proc);
  const text = readFileSync(rawFile, 'utf8');
  if (proc.exited !== 0) throw new Error(`wrk ${args.join(' ')} ended with ${proc.exited}:\n${text}`);
  return parseWrk(text);
}
