/**
 * The processes the bench starts, and the guarantee that none outlives it.
 *
 * Each target runs in its own process group (`detached`), so nginx's worker,
 * or anything a runtime forks, is stopped together with its parent by
 * signalling the group id, which is the id of the process we spawned. The
 * terminal's Ctrl-C reaches only our own group; the handlers installed by
 * {@link stopAllOnExit} then stop every target before the bench exits.
 * @module
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpGet } from './http.mjs';

/** Every process started and not yet known to be gone. */
const running = new Set();

/**
 * A started process: `name`, `pid`, `log` (its stdout and stderr), `exited`
 * (exit code or signal once it ended) and `ended`, a promise of that.
 */
export function startProcess(name, cmd, args, { cwd, env, log }) {
  const fd = openSync(log, 'w');
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const proc = { name, pid: child.pid, log, exited: undefined, child };
  proc.ended = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exited = signal ?? code;
      resolve();
    });
    child.on('error', (err) => {
      proc.exited = err.message;
      resolve();
    });
  });
  if (proc.pid !== undefined) running.add(proc);
  return proc;
}

/** The last lines a process wrote, for error messages. */
export function logTail(proc, lines = 15) {
  try {
    return readFileSync(proc.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/**
 * Waits until `GET path` on `port` answers 200 (golb's /readyz answers 503
 * while its weights load). Fails early when the process exits.
 */
export async function waitReady(proc, port, path, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.exited !== undefined) {
      throw new Error(`${proc.name} exited (${proc.exited}) before it was ready; its output (${proc.log}):\n${logTail(proc)}`);
    }
    try {
      const res = await httpGet(port, path, {}, 1000);
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} was not ready on port ${port} after ${timeoutMs / 1000} s (${last}); its output (${proc.log}):\n${logTail(proc)}`);
}

/** True while any process of the group is alive. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group, SIGKILL to whatever is left after `graceMs`. */
export async function stopProcess(proc, graceMs = 3000) {
  if (!running.has(proc)) return;
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (proc.exited === undefined || groupAlive(proc.pid))) await sleep(50);
  if (groupAlive(proc.pid)) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // ended just now
    }
  }
  await Promise.race([proc.ended, sleep(1000)]);
  running.delete(proc);
}

/** Stops every process started, in parallel. */
export async function stopAll() {
  await Promise.all([...running].map((p) => stopProcess(p)));
}

/**
 * Ctrl-C, SIGTERM and SIGHUP stop everything and exit with 128 + signal;
 * an exit by any other path (an uncaught error included) SIGKILLs the groups
 * still recorded, synchronously, as the last resort.
 */
export function stopAllOnExit() {
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  let stopping = false;
  for (const [signal, code] of Object.entries(codes)) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\nbench: ${signal}: stopping all targets\n`);
      stopAll().finally(() => process.exit(code));
    });
  }
  process.on('exit', () => {
    for (const proc of running) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
