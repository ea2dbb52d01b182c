/**
 * How many client connections a listener may hold (`eb_go_lb_max_connections`)
 * when the setting is left at 0: derived from the process's descriptor limit
 * (`RLIMIT_NOFILE`), read by the start layer and handed in. Pure functions.
 *
 * Why a limit at all: every client connection is a descriptor. Without a
 * cap, a flood of idle connections fills the descriptor table; then nothing
 * can open anything (upstream sockets, the weights file, etcd), and an
 * accept that fails with EMFILE leaves the connection in the backlog, where
 * some event loops retry it at once, for ever (Bun's does). With the cap
 * below the limit, golb closes the connections past it itself, and keeps
 * descriptors for everything else.
 * @module
 */

/** The open-files limits of a process; `Infinity` for `unlimited`. */
export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

/**
 * Descriptors kept out of the client connections' share for what golb opens
 * regardless of them: stdio, the runtime's own (its event loop's epoll and
 * wake-up descriptors, worker threads' pipes), the listeners, etcd's gRPC
 * connections, the weights file as it is read, health probes' sockets.
 */
export const DESCRIPTOR_RESERVE = 256;

/** The descriptor limit taken when it cannot be read (not Linux): the usual default soft limit, so the derived cap is safe wherever golb runs. */
export const ASSUMED_DESCRIPTOR_LIMIT = 1024;

/**
 * The limit taken for `unlimited`: Linux's default `fs.nr_open`, the most
 * descriptors a process gets whatever its rlimit says (the kernel refuses a
 * larger RLIMIT_NOFILE, so `unlimited` should never be read on Linux).
 */
const UNLIMITED_AS = 1_048_576;

/**
 * The "Max open files" line of `/proc/<pid>/limits` (Linux), e.g.
 * `Max open files            1024                 524288               files`;
 * undefined when the text has no such line or its numbers do not parse.
 */
export function parseOpenFilesLimit(text: string): OpenFilesLimit | undefined {
  const m = /^Max open files[ \t]+(\S+)[ \t]+(\S+)/m.exec(text);
  if (m === null) return undefined;
  const soft = limitValue(m[1]!);
  const hard = limitValue(m[2]!);
  return soft === undefined || hard === undefined ? undefined : { soft, hard };
}

function limitValue(word: string): number | undefined {
  if (word === 'unlimited') return Infinity;
  return /^\d{1,15}$/.test(word) ? Number(word) : undefined;
}

/**
 * The connection cap each listener gets when none is configured.
 *
 * A connection on the traffic listener that is being proxied holds a second
 * descriptor, its upstream socket (idle keep-alive upstream sockets and health
 * probes come out of that share too); a connection on the management listener
 * proxies nothing. So after {@link DESCRIPTOR_RESERVE} (a quarter of the limit
 * when that is smaller, so a tiny limit still leaves room for connections),
 * the rest is split in halves, or in thirds when there is a management
 * listener: both listeners full still fit. 20,000 descriptors: 9,872 per
 * listener, 6,581 with a management listener; 1,024: 384 and 256.
 * @param descriptorLimit the soft RLIMIT_NOFILE (every runtime has raised it to the hard limit by the time golb reads it)
 * @param managementListener a separate management listener is open
 */
export function autoMaxConnections(descriptorLimit: number, managementListener: boolean): number {
  const limit = Number.isFinite(descriptorLimit) ? descriptorLimit : UNLIMITED_AS;
  const reserve = Math.min(DESCRIPTOR_RESERVE, Math.floor(limit / 4));
  const descriptorsPerSlot = managementListener ? 3 : 2;
  return Math.max(1, Math.floor((limit - reserve) / descriptorsPerSlot));
}
