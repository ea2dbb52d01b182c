/**
 * `golb healthcheck`: asks a running golb whether it is ready, for container
 * images without curl (Docker's `HEALTHCHECK CMD ["golb", "healthcheck"]`, a
 * Kubernetes exec probe). It reads the same configuration as the golb it
 * checks (variables and flags), so it finds the traffic listener: a wildcard
 * listen host (`0.0.0.0`, `::`) is asked on loopback. It GETs `/readyz` with a
 * short timeout; ready is exit 0, anything else (503, no answer, refused) 1,
 * with one line saying which. Ready means that this URL answered 200: a
 * redirect is not followed (it would report another server's readiness under
 * this URL's name), and a 200 is ready as soon as its status line is in, its
 * body unread. A body printed for another status has its control characters
 * replaced, so it cannot forge lines in the probe's output.
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
export type FetchLike = (url: string, init: { signal: AbortSignal; redirect: 'manual' }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  body?: { cancel(): Promise<void> } | null;
}>;

/** Most characters of a body or a redirect's target the line repeats. */
const ECHO_CHARS = 300;

/** `text` on one line: control characters (C0, DEL, C1) and runs of whitespace become one space, cut at {@link ECHO_CHARS}. */
export function printable(text: string): string {
  return text.replace(/[\s\x00-\x1f\x7f-\x9f]+/g, ' ').trim().slice(0, ECHO_CHARS);
}

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
    const res = await fetchReadyz(url, { signal: abort.signal, redirect: 'manual' });
    if (res.status === 200) {
      // The status says it all; a body that trickles must not hold the answer.
      res.body?.cancel().catch(() => undefined);
      return { exitCode: 0, line: `golb healthcheck: ready (${url} answered 200)` };
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400) {
      res.body?.cancel().catch(() => undefined);
      const target = location === null ? '' : ` to ${printable(location)}`;
      return { exitCode: 1, line: `golb healthcheck: not ready: ${url} answered ${res.status}, a redirect${target} (not followed: golb's /readyz does not redirect)` };
    }
    const body = printable(await res.text().catch(() => ''));
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
