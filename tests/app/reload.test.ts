/**
 * The reloaders SIGHUP runs (`app/reload.ts`): each in turn, a failing one
 * logged while the next still runs, never a rejection (an unhandled one ends
 * the process); the weights' reloader of a source without `reload()` (etcd)
 * says so and changes nothing; a stuck reload is logged and not piled on.
 * tests/e2e/reload.test.ts sends the signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../app/logger.ts';
import { onReload, reloadAll, weightsReloader } from '../../app/reload.ts';
import type { WeightSource } from '../../app/sources/source.ts';

function kept(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  return { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, lines };
}

test('each reloader runs in turn; a failure is logged and the next one still runs', async () => {
  const { logger, lines } = kept();
  const ran: string[] = [];
  await reloadAll(
    [
      { name: 'weights', reload: async () => void ran.push('weights') },
      { name: 'certificates', reload: async () => Promise.reject(new Error('cannot read /etc/golb/tls.key: EACCES')) },
      { name: 'last', reload: async () => void ran.push('last') },
    ],
    logger,
    'SIGHUP',
  );
  assert.deepEqual(ran, ['weights', 'last']);
  assert.deepEqual(lines, [
    'info reloading {"signal":"SIGHUP","what":"weights,certificates,last"}',
    'error reload failed; serving on with what was loaded {"what":"certificates","reason":"cannot read /etc/golb/tls.key: EACCES"}',
    'info reloaded {"signal":"SIGHUP"}',
  ]);
});

test("the weights' reloader: the source's reload(), or a line saying etcd needs none", async () => {
  const { logger, lines } = kept();
  let reloads = 0;
  const base = { ready: true, refused: 0, start: async () => undefined, put: async () => undefined, remove: async () => undefined, close: async () => undefined };
  const file: WeightSource = { ...base, kind: 'embedded', reload: async () => void reloads++ };
  const etcd: WeightSource = { ...base, kind: 'etcd' };
  await weightsReloader(file, logger).reload();
  assert.equal(reloads, 1);
  await weightsReloader(etcd, logger).reload();
  assert.deepEqual(lines, ['info SIGHUP: the weights come from etcd and are followed by its watch; nothing to re-read {"source":"etcd"}']);
});

test('a reload still running after the stuck time is logged at WARN; a SIGHUP then is told so and starts no other read', async () => {
  const { logger, lines } = kept();
  let hangUp: (() => void) | undefined;
  let started = 0;
  let finish: (() => void) | undefined;
  const signals = { on: (_signal: NodeJS.Signals, listener: () => void) => void (hangUp = listener) };
  const hanging = { name: 'weights', reload: () => new Promise<void>((resolve) => void (started++, (finish = resolve))) };
  onReload({ logger, deps: { monotonic: () => performance.now() } }, [hanging], signals, 100);
  hangUp!();
  hangUp!(); // within the stuck time: folded into one more reload after this one
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(lines.includes('warn reload still running; the weights stay as they were {"what":"weights","afterMs":100}'), lines.join('\n'));
  hangUp!();
  assert.match(lines.at(-1)!, /^warn SIGHUP: a reload is still running; this one starts no other read \{"what":"weights","runningForMs":\d+\}$/);
  assert.equal(started, 1, 'no other read while one hangs');
  finish!();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(started, 2, 'the SIGHUP folded before it was stuck runs once it is over');
  finish!();
});
