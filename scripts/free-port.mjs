/**
 * Free loopback ports for processes the tests and benches start (etcd, golb,
 * nginx), which bind them a moment after they are chosen.
 *
 * A port the kernel hands out for `listen(0)` comes from the same range as
 * the source ports of outgoing connections, and the tests open thousands of
 * those: one of them can take the port before the process binds it (an etcd
 * failed with "address already in use" that way). So ports are drawn at
 * random below that range, checked by binding them, and never handed out
 * twice by one process.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port drawn. */
const LOWEST = 10_000;
/** Where Linux's ephemeral ports start (its default when unreadable, e.g. not on Linux). */
const EPHEMERAL_START = (() => {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > LOWEST + 1_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
})();
/** Ports this process has handed out. */
const given = new Set();

/** Whether `port` can be bound on 127.0.0.1 right now. */
function bindable(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A loopback port that is free now, outside the ephemeral range, and not
 * handed out before by this process.
 * @returns {Promise<number>}
 */
export async function freePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (EPHEMERAL_START - LOWEST));
    if (given.has(port)) continue;
    given.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found in ${LOWEST}–${EPHEMERAL_START - 1}`);
}

/**
 * `n` distinct free loopback ports.
 * @param {number} n
 * @returns {Promise<number[]>}
 */
export async function freePorts(n) {
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}
