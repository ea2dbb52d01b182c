import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINS, LatencyWindow, WINDOW_SECONDS, binLowerMs, binOf, binUpperMs, emptyHistogram, quantileMs } from '../../../app/metrics/latency-window.ts';

test('every latency falls inside its bin, and bins grow with latency', () => {
  let previous = 0;
  for (let ms = 0; ms < 200_000; ms = ms < 1 ? ms + 0.01 : ms * 1.07) {
    const bin = binOf(ms);
    assert.ok(bin >= previous, `bin of ${ms} went back`);
    previous = bin;
    assert.ok(bin >= 0 && bin < BINS);
    if (bin < BINS - 1) {
      assert.ok(binLowerMs(bin) <= ms + 1e-9 && ms < binUpperMs(bin) + 1e-9, `${ms} ms in [${binLowerMs(bin)}, ${binUpperMs(bin)})`);
      // A bin is at most half as wide as its lower edge (a third of a value inside it), beyond the first ones.
      if (bin >= 2) assert.ok(binUpperMs(bin) - binLowerMs(bin) <= binLowerMs(bin) / 2 + 1e-9);
    } else {
      assert.ok(ms >= binLowerMs(bin));
    }
  }
  assert.equal(binOf(-5), 0);
  assert.equal(binOf(Number.NaN), 0);
  assert.equal(binOf(1e12), BINS - 1);
});

test('p50 and p99 of a known distribution are within a bin of the truth', () => {
  const w = new LatencyWindow();
  // 1..1000 ms, one each, spread over a few seconds.
  for (let i = 1; i <= 1000; i++) w.record(i, 100 + (i % 5));
  const h = emptyHistogram();
  w.mergeInto(h, 104);
  const p50 = quantileMs(h, 0.5)!;
  const p99 = quantileMs(h, 0.99)!;
  assert.ok(Math.abs(p50 - 500) / 500 < 0.34, `p50 ${p50}`);
  assert.ok(Math.abs(p99 - 990) / 990 < 0.34, `p99 ${p99}`);
  assert.equal(quantileMs(emptyHistogram(), 0.5), undefined);
});

test('per-second counts, sums and errors; seconds outside the window are not read', () => {
  const w = new LatencyWindow();
  w.record(10, 1000);
  w.record(30, 1000);
  w.recordError(1000);
  w.record(5, 1001);
  assert.deepEqual(w.seconds(1001), [
    { second: 1000, requests: 2, errors: 1, latencySumMs: 40 },
    { second: 1001, requests: 1, errors: 0, latencySumMs: 5 },
  ]);
  // Read from later: 1000 leaves the window at 1060.
  assert.deepEqual(w.seconds(1059).map((s) => s.second), [1000, 1001]);
  assert.deepEqual(w.seconds(1060).map((s) => s.second), [1001]);
  assert.equal(w.idle(1060), false);
  assert.equal(w.idle(1061), true);
  // Nothing from the future either (a clock that stepped back).
  assert.deepEqual(w.seconds(999), []);
});

test('a slot is cleared when its second comes round again', () => {
  const w = new LatencyWindow();
  w.record(10, 1000);
  w.record(10, 1000);
  w.record(2000, 1000 + WINDOW_SECONDS);
  assert.deepEqual(w.seconds(1000 + WINDOW_SECONDS), [{ second: 1060, requests: 1, errors: 0, latencySumMs: 2000 }]);
  const h = emptyHistogram();
  w.mergeInto(h, 1000 + WINDOW_SECONDS);
  assert.equal(h.reduce((a, b) => a + b, 0), 1);
  assert.ok(quantileMs(h, 0.5)! >= binLowerMs(binOf(2000)));
});
