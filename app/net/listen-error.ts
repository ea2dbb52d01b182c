/**
 * Why a listener could not be opened, in the same words on every runtime.
 * Bun says only "Failed to listen at 127.0.0.1", Deno "Address already in use
 * (os error 98)", Node "listen EADDRINUSE: address already in use
 * 127.0.0.1:8080"; each sets the system's error code (`code`) on the error,
 * so golb's line is built from that: the address with its port, the code, and
 * what it means, like nginx's `bind() to 0.0.0.0:80 failed (98: Address
 * already in use)`.
 * @module
 */

/** What golb logs when it cannot listen. */
export interface ListenFailure {
  /** `host:port` (`[v6]:port`). */
  address: string;
  /** The system's error code (`EADDRINUSE`, `EACCES`…), or `unknown`. */
  code: string;
  /** What the code means, and what to do where that is clear. */
  reason: string;
}

/** The codes a listen fails with, in words. */
const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use (another process listens on this port)',
  EACCES: 'permission denied (ports below 1024 need privileges, e.g. CAP_NET_BIND_SERVICE)',
  EPERM: 'operation not permitted',
  EADDRNOTAVAIL: 'address not available (no interface of this machine has this address)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EINVAL: 'invalid address',
  EMFILE: 'too many open files',
};

/** Deno names its errors instead of coding them on some paths. */
const DENO_NAMES: Record<string, string> = { AddrInUse: 'EADDRINUSE', PermissionDenied: 'EACCES', AddrNotAvailable: 'EADDRNOTAVAIL' };

/** `host:port`, with an IPv6 host in brackets. */
export function addressText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Describes `err`, thrown while listening on `host`:`port`. */
export function describeListenError(err: unknown, host: string, port: number): ListenFailure {
  const address = addressText(host, port);
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? DENO_NAMES[e.name] : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === undefined) return { address, code: 'unknown', reason: message };
  return { address, code, reason: REASONS[code] ?? message };
}
