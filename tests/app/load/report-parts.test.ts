/**
 * Splitting a load report for etcd: a report within the limit is written
 * whole; a larger one becomes parts of at most the limit, each a whole report
 * envelope with `part`, the functions spread over them and none lost; a
 * function larger than a part alone is cut by backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PART_BYTES, splitReport } from '../../../app/load/report-parts.ts';
import type { BackendLoad, FunctionLoad, LoadReport } from '../../../app/load/report.ts';

const bytes = (r: unknown): number => Buffer.byteLength(JSON.stringify(r), 'utf8');

function backend(i: number): BackendLoad {
  return { requests: i, rate: i / 5, inFlight: 0, errors: { refused: 0, reset: 0, timeout: 0, status5xx: 0 }, latencyMs: { p50: 1.5, p99: 9.25 }, ewmaMs: 2, health: 'up', weight: 1, gateway: false };
}

function fn(backends: number, offset = 0): FunctionLoad {
  const out: Record<string, BackendLoad> = {};
  for (let i = 0; i < backends; i++) out[`10.${(offset + i) >> 16}.${((offset + i) >> 8) & 255}.${(offset + i) & 255}:8080`] = backend(i);
  return { requests: backends, rate: 1, inFlight: 0, rejected: {}, latencyMs: null, weightsRevision: 7, backends: out };
}

function report(functions: Record<string, FunctionLoad>): LoadReport {
  return { schema: 1, zone: 'z1', node: 'edge-1', time: '2026-01-01T12:00:05.000Z', windowMs: 5000, functions };
}

test('a report within the limit is written whole, without part', () => {
  const r = report({ a: fn(3) });
  assert.deepEqual(splitReport(r), [r]);
  assert.equal(splitReport(r)[0]!.part, undefined);
});

test('a larger report: parts within the limit, in order, every function in exactly one', () => {
  const functions: Record<string, FunctionLoad> = {};
  for (let i = 0; i < 40; i++) functions[`fn-${i}`] = fn(5, i * 10);
  const r = report(functions);
  const limit = 4_000;
  assert.ok(bytes(r) > limit);
  const parts = splitReport(r, limit);
  assert.ok(parts.length > 1);
  const seen: Record<string, FunctionLoad> = {};
  parts.forEach((p, index) => {
    assert.ok(bytes(p) <= limit, `part ${index} is ${bytes(p)} bytes`);
    assert.deepEqual(p.part, { index, count: parts.length });
    assert.deepEqual([p.schema, p.zone, p.node, p.time, p.windowMs], [1, 'z1', 'edge-1', r.time, 5000]);
    for (const [name, load] of Object.entries(p.functions)) {
      assert.equal(seen[name], undefined, `${name} in two parts`);
      seen[name] = load;
    }
  });
  assert.deepEqual(seen, functions);
});

test('a function larger than a part is cut by backends: merged back, nothing lost', () => {
  const big = fn(200);
  const r = report({ small: fn(2, 5000), big, after: fn(1, 6000) });
  const limit = 3_000;
  const parts = splitReport(r, limit);
  for (const p of parts) assert.ok(bytes(p) <= limit, `${bytes(p)} bytes`);
  const pieces = parts.filter((p) => p.functions.big !== undefined);
  assert.ok(pieces.length > 1);
  const merged: Record<string, BackendLoad> = {};
  for (const p of pieces) {
    const { backends, ...figures } = p.functions.big!;
    const { backends: _, ...expected } = big;
    assert.deepEqual(figures, expected, 'each piece carries the function-level figures');
    Object.assign(merged, backends);
  }
  assert.deepEqual(merged, big.backends);
  assert.deepEqual(parts.flatMap((p) => Object.keys(p.functions)).filter((n) => n !== 'big'), ['small', 'after']);
});

test('the default limit keeps a part well under etcd’s 1.5 MiB request limit', () => {
  assert.equal(PART_BYTES, 1024 * 1024);
  const functions: Record<string, FunctionLoad> = {};
  // About 1.2 MB of JSON: 6,000 backends over 20 functions.
  for (let i = 0; i < 20; i++) functions[`f${i}`] = fn(300, i * 300);
  const parts = splitReport(report(functions));
  assert.ok(parts.length >= 2);
  for (const p of parts) assert.ok(bytes(p) <= PART_BYTES);
});
