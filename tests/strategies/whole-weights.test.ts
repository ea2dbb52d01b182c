import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WHOLE_WEIGHT, wholeWeights } from '../../strategies/whole-weights.ts';

test('integer weights stay as they are, divided by their gcd', () => {
  assert.deepEqual(wholeWeights([5, 1, 1]), [5, 1, 1]);
  assert.deepEqual(wholeWeights([300, 200, 100]), [3, 2, 1]);
  assert.deepEqual(wholeWeights([0, 0]), [0, 0]);
  assert.deepEqual(wholeWeights([]), []);
});

test('decimals are scaled by the smallest power of ten that makes them whole, exactly', () => {
  assert.deepEqual(wholeWeights([1.5, 2.25, 0.25]), [6, 9, 1]);
  assert.deepEqual(wholeWeights([0.1, 0.2, 0.3]), [1, 2, 3]); // 0.3 × 10 is 3.0000000000000004 in binary
  assert.deepEqual(wholeWeights([100, 33.33, 1]), [10000, 3333, 100]);
  assert.deepEqual(wholeWeights([0.000001, 0.000002]), [1, 2]);
  assert.deepEqual(wholeWeights([2.5, 0, 0.5]), [5, 0, 1], 'a drained backend stays 0');
});

test('weights without a short decimal form keep their proportions to one part in a million of the largest', () => {
  const weights = [1 / 3, 2 / 3, 0.1234567891];
  const whole = wholeWeights(weights);
  assert.ok(whole.every((w) => Number.isInteger(w) && w >= 1 && w <= MAX_WHOLE_WEIGHT), String(whole));
  const sum = whole.reduce((a, b) => a + b, 0);
  const exact = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => assert.ok(Math.abs(whole[i]! / sum - w / exact) < 1e-6, `${i}: ${whole[i]! / sum} vs ${w / exact}`));
});

test('a weight above 0 never becomes 0, and no whole weight passes the largest the schedules take', () => {
  const whole = wholeWeights([999_999.5, 0.001, 0]);
  assert.deepEqual(whole, [MAX_WHOLE_WEIGHT, 1, 0]);
  assert.ok(wholeWeights([123_456.789, 0.5]).every((w) => w <= MAX_WHOLE_WEIGHT));
});
