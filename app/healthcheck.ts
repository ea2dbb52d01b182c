/**
 * `golb healthcheck`: asks a running golb whether it is ready, for container
 * images without curl (Docker's `HEALTHCHECK CMD ["golb", "healthcheck"]`, a
 * Kubernetes exec probe). It reads the same configuration as the golb it
 * checks (variables and flags), so it finds the traffic listener: a wildcard
 * listen host (`0.0.0.0`, `::`) is asked on loopback. It GETs `/readyz` with a
 * short timeout; ready is exit 0, anything else (503, no answer, refused) 1,
 * with one line saying which.
 * @module
 */
import type { Config } from './config.ts';

/** How long the check waits for `/readyz`'s answer. */
export const HEALTHCHECK_TIMEOUT_MS = 2_000;

/** What the check found: the exit code and the one line to print. */
export interface HealthcheckResult {
  exitCode: 0 | 1;
  line: string;
}

/** The fetch the check uses (the runtime's global one; tests pass their own). */
export type FetchLike = (url: string, init: { signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** The URL of `/readyz` on the traffic listener the configuration describes. */
export function readyzUrl(config: Pick<Config, 'listenHost' | 'listenPort'>): string {
  const host = config.listenHost;
  // A wildcard address is not one to connect to; golb listening on it answers on loopback.
  const target = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${target}:${config.listenPort}/readyz`;
}

/** Asks `/readyz` once; never throws. */
export async function healthcheck(config: Pick<Config, 'listenHost' | 'listenPort'>, fetchReadyz: FetchLike, timeoutMs = HEALTHCHECK_TIMEOUT_MS): Promise<HealthcheckResult> {
  const url = readyzUrl(config);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetchReadyz(url, { signal: abort.signal });
    const body = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 300);
    if (res.status === 200) return { exitCode: 0, line: `golb healthcheck: ready (${url} answered 200)` };
    return { exitCode: 1, line: `golb healthcheck: not ready: ${url} answered ${res.status} ${body}`.trimEnd() };
  } catch (err) {
    const reason = abort.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describeFailure(err);
    return { exitCode: 1, line: `golb healthcheck: not ready: ${url}: ${reason}` };
  } finally {
    clearTimeout(timer);
  }
}

/** A failed fetch's reason: Node puts the socket's error in `cause` with its code, Deno in `cause` as text, Bun in the error. */
function describeFailure(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? ` (${cause.message})` : ''}`;
  if (typeof cause?.message === 'string') return cause.message;
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && !message.includes(code) ? `${code} (${message})` : message;
}
