/**
 * What bounds golb's stop (`app/shutdown.ts`), driven with its signal
 * source and server in hand: the drain timeout cuts what is in flight, and a
 * close that never ends (a weights file on a hung network file system, an
 * etcd that never answers) gets {@link CLOSE_GRACE_MS} more, then golb logs
 * what did not close and exits 0 anyway. tests/e2e/shutdown*.test.ts send
 * the real signals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../app/logger.ts';
import { CLOSE_GRACE_MS, onShutdown, ShutdownState } from '../../app/shutdown.ts';

function kept(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  return { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, lines };
}

/** Runs a stop whose server drains as `stop` says and whose close hangs in `hangsIn`; resolves with the exit code and when it came. */
async function stopWith(stop: () => Promise<void>, hangsIn: string): Promise<{ code: number; afterMs: number; lines: string[]; forced: number }> {
  const { logger, lines } = kept();
  const handlers = new Map<string, () => void>();
  let forced = 0;
  const exited = new Promise<number>((resolve) => {
    const golb = {
      config: { shutdownDelayMs: 0, drainTimeoutMs: 200 },
      logger,
      shutdown: new ShutdownState(),
      close: async (closing?: (what: string) => void) => {
        closing?.('node pool');
        closing?.(hangsIn);
        await new Promise(() => undefined);
      },
    };
    const server = { windDown: () => undefined, stop, force: () => void forced++ };
    onShutdown(golb, server, { on: (signal, listener) => handlers.set(signal, listener), exit: ((code: number) => resolve(code)) as (code: number) => never });
  });
  const at = performance.now();
  handlers.get('SIGTERM')!();
  const code = await exited;
  return { code, afterMs: performance.now() - at, lines, forced };
}

test('a close that never ends: golb exits 0 the grace after the drain timeout, naming what did not close', async () => {
  const { code, afterMs, lines, forced } = await stopWith(() => Promise.resolve(), 'weight source');
  assert.equal(code, 0);
  assert.ok(afterMs >= 200 + CLOSE_GRACE_MS - 50 && afterMs < 200 + CLOSE_GRACE_MS + 2000, `exited after ${afterMs} ms`);
  assert.equal(forced, 0, 'no connection was left to cut');
  assert.ok(lines.includes(`warn shutdown: did not close in time; exiting anyway {"pending":"weight source","graceMs":${CLOSE_GRACE_MS}}`), lines.join('\n'));
  assert.equal(lines.at(-1), 'info stopped {}');
  assert.ok(!lines.some((l) => l.includes('drain timeout reached')), 'the requests had drained');
});

test('requests still in flight at the drain timeout are cut, then the same grace bounds the close', async () => {
  const { code, lines, forced } = await stopWith(() => new Promise(() => undefined), 'etcd');
  assert.equal(code, 0);
  assert.equal(forced, 1);
  assert.ok(lines.some((l) => l.startsWith('warn drain timeout reached')), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes('"pending":"requests in flight"')), lines.join('\n'));
  assert.equal(lines.at(-1), 'info stopped {}');
});
