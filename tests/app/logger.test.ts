import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../app/logger.ts';

const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function capture(mode: 'dev' | 'prod') {
  const lines: string[] = [];
  const logger = createLogger({ mode, node: 'edge-1', write: (l) => lines.push(l), now: () => at });
  return { lines, logger };
}

test('prod: JSON lines at info level and above, with time, level, node and message', () => {
  const { lines, logger } = capture('prod');
  logger.debug('not shown', { x: 1 });
  logger.info('weights loaded', { functions: 3, source: 'etcd' });
  logger.warn('upstream failed', { reason: 'line\nbreak "quoted"' });
  logger.error('boom');
  assert.equal(lines.length, 3);
  assert.deepEqual(JSON.parse(lines[0]!), { time: '2026-01-02T03:04:05.678Z', level: 'info', node: 'edge-1', msg: 'weights loaded', functions: 3, source: 'etcd' });
  assert.equal(JSON.parse(lines[1]!).reason, 'line\nbreak "quoted"');
  assert.ok(lines.every((l) => !l.includes('\n')));
  assert.equal(JSON.parse(lines[2]!).level, 'error');
});

test('dev: readable lines at debug level and above; odd values quoted on one line', () => {
  const { lines, logger } = capture('dev');
  logger.debug('etcd: next attempt', { inMs: 250, fullRead: false });
  logger.warn('upstream failed', { backend: '10.0.0.1:80', reason: 'connect ECONNREFUSED\nx' });
  assert.deepEqual(lines, [
    '2026-01-02T03:04:05.678Z DEBUG etcd: next attempt inMs=250 fullRead=false',
    '2026-01-02T03:04:05.678Z WARN  upstream failed backend=10.0.0.1:80 reason="connect ECONNREFUSED\\nx"',
  ]);
});
