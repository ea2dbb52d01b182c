/**
 * The fixed-seed slice of the differential fuzz that `npm test` runs, shared
 * by the request and the response parser's fuzz tests: the found regressions
 * (whole and cut at every point), then `count` generated cases from `SEED`.
 * @module
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRequests, formatStats, fuzzRun, runCase, type Target } from './compare.ts';
import type { Framed, Outcome } from './outcome.ts';
import { REGRESSIONS } from './regressions.ts';

/** The seed of the slice in `npm test` (any other is `npm run fuzz -- --seed N`). */
export const SEED = 19;

/** Registers the fuzz tests for `target`: `count` generated cases. */
export function fuzzSuite(target: Target, count: number): void {
  test(`${target}s: every divergence found so far stays fixed, whatever the cuts`, () => {
    for (const r of REGRESSIONS.filter((x) => x.target === target)) {
      const bytes = Buffer.from(r.bytes, 'latin1');
      for (let cut = 0; cut <= bytes.length; cut++) {
        const { verdict } = runCase(target, { bytes, cuts: cut === 0 ? [] : [cut], isHead: r.isHead ?? false, eof: r.eof ?? false });
        assert.notEqual(verdict.kind, 'divergence', `${r.what}\n${JSON.stringify(r.bytes)} cut at ${cut}: ${JSON.stringify(verdict)}`);
      }
    }
  });

  test(`${target}s: golb is never looser than llhttp on ${count} generated cases (seed ${SEED})`, () => {
    const stats = fuzzRun(target, SEED, count);
    const report = stats.found.map((f) => `seed ${f.seed}: ${f.what}\n  bytes ${f.bytes} cuts ${JSON.stringify(f.cuts)} isHead ${f.isHead} eof ${f.eof}`);
    assert.deepEqual(report, [], formatStats(target, stats));
    // Not a vacuous pass: most cases compared, some golb refused, some both framed.
    assert.equal(stats.cases, count);
    assert.ok(stats.same > count / 2, formatStats(target, stats));
    assert.ok(stats.stricter.size > 0, formatStats(target, stats));
    assert.ok(stats.bothFramed > count / 10, formatStats(target, stats));
  });
}

/** The check itself: each kind of looser is caught, stricter is not a failure. */
export function comparatorSuite(): void {
  const message = (body: string, keepAlive = true): Framed => ({ method: 'POST', target: '/', http10: false, headers: [], body, keepAlive });
  const refused = (reason: string): Outcome => ({ messages: [], ending: { kind: 'error', reason } });
  const framed = (...messages: Framed[]): Outcome => ({ messages, ending: { kind: 'done' } });
  test('the comparison: looser is a divergence, stricter is not', () => {
    assert.equal(compareRequests(framed(message('')), refused('HPE_STRICT')).kind, 'divergence');
    assert.equal(compareRequests(framed(message('ab')), framed(message('a'))).kind, 'divergence');
    assert.equal(compareRequests(framed(message('')), framed(message('', false))).kind, 'divergence');
    assert.equal(compareRequests(framed(message(''), message('')), { messages: [message('')], ending: { kind: 'partial', headSeen: true } }).kind, 'divergence');
    assert.equal(compareRequests(refused('400 x'), framed(message(''))).kind, 'stricter');
    assert.equal(compareRequests(refused('400 x'), refused('HPE_STRICT')).kind, 'same');
    assert.equal(compareRequests(framed(message('a')), framed(message('a'))).kind, 'same');
  });
}
