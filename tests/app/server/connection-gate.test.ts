import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGate, connectionGates } from '../../../app/server/connection-gate.ts';
import type { Logger, LogFields } from '../../../app/logger.ts';

/** A logger that keeps its lines. */
function recordingLogger(): Logger & { lines: { level: string; msg: string; fields?: LogFields }[] } {
  const lines: { level: string; msg: string; fields?: LogFields }[] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

test('a gate admits up to its maximum, refuses and counts past it, and admits again once one is released', () => {
  const gate = new ConnectionGate('traffic', 3);
  assert.deepEqual([gate.admit(), gate.admit(), gate.admit()], [true, true, true]);
  assert.equal(gate.admit(), false);
  assert.equal(gate.admit(), false);
  assert.deepEqual({ open: gate.open, refused: gate.refused }, { open: 3, refused: 2 });
  gate.release();
  assert.equal(gate.admit(), true);
  assert.equal(gate.admit(), false);
  assert.deepEqual({ open: gate.open, refused: gate.refused }, { open: 3, refused: 3 });
});

test('connectionGates: the configured cap per listener, whatever the descriptor limit; logged', () => {
  const logger = recordingLogger();
  const gates = connectionGates({ maxConnections: 20, mgmtPort: 9090 }, { soft: 20_000, hard: 20_000 }, logger);
  assert.deepEqual([gates.traffic.listener, gates.traffic.max, gates.management?.listener, gates.management?.max], ['traffic', 20, 'management', 20]);
  assert.deepEqual(logger.lines, [
    { level: 'info', msg: 'connection limit per listener', fields: { maxConnections: 20, from: 'eb_go_lb_max_connections', descriptorLimit: 20_000, listeners: 2 } },
  ]);
});

test('connectionGates: 0 derives the cap from the descriptor limit; no management gate without a management port', () => {
  const logger = recordingLogger();
  const gates = connectionGates({ maxConnections: 0, mgmtPort: undefined }, { soft: 20_000, hard: 20_000 }, logger);
  assert.equal(gates.traffic.max, 9_872);
  assert.equal(gates.management, undefined);
  assert.equal(logger.lines[0]?.fields?.from, 'descriptor limit');
});

test('connectionGates: an unreadable limit is taken as 1,024, and said so', () => {
  const logger = recordingLogger();
  assert.equal(connectionGates({ maxConnections: 0, mgmtPort: undefined }, undefined, logger).traffic.max, 384);
  assert.equal(logger.lines[0]?.fields?.descriptorLimit, 'unknown, 1024 assumed');
});

test('connectionGates: a configured cap above what the descriptors leave room for is warned about, once', () => {
  const logger = recordingLogger();
  assert.equal(connectionGates({ maxConnections: 15_000, mgmtPort: undefined }, { soft: 20_000, hard: 20_000 }, logger).traffic.max, 15_000);
  assert.deepEqual(logger.lines.map((l) => l.level), ['info', 'warn']);
  assert.equal(logger.lines[1]?.fields?.derived, 9_872);
  // Unknown limit: no warning on a guess.
  const quiet = recordingLogger();
  connectionGates({ maxConnections: 15_000, mgmtPort: undefined }, undefined, quiet);
  assert.deepEqual(quiet.lines.map((l) => l.level), ['info']);
});
