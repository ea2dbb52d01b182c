import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChashPicker, MIN_WALK, chash, walkLimit } from '../../strategies/chash.ts';
import { hashKey } from '../../strategies/hash-ring.ts';
import { requestEnded, requestStarted } from '../../strategies/backend-state.ts';
import type { Backend, Picker } from '../../strategies/strategy.ts';
import { backend, backends, ctxAt, seeded } from './helpers.ts';

const deps = seeded(1);
const KEYS = Array.from({ length: 2000 }, (_, i) => `fn-${i}`);

/** Where each key goes, one request at a time. */
function owners(p: Picker): string[] {
  return KEYS.map((k) => p.pick(ctxAt(0, undefined, k))!.address);
}

test('one request at a time: a key always lands on the same backend; keys spread over all', () => {
  const bs = backends([1, 1, 1, 1]);
  const p = chash.build(bs, undefined, deps);
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const b = p.pick(ctxAt(i, undefined, 'hot'))!;
    seen.add(b.address);
    requestStarted(b.state);
    requestEnded(b.state, 5, i);
  }
  assert.equal(seen.size, 1);
  assert.equal(new Set(owners(p)).size, 4);
});

test('8 concurrent slow requests for one key spread, none past the bound ceil(1.25 × 8 / 4) = 3', () => {
  const bs = backends([1, 1, 1, 1]);
  const p = chash.build(bs, undefined, deps);
  const home = p.pick(ctxAt(0, undefined, 'hot'))!;
  const taken: Backend[] = [];
  for (let i = 0; i < 8; i++) {
    const b = p.pick(ctxAt(0, undefined, 'hot'))!;
    requestStarted(b.state);
    taken.push(b);
  }
  const loads = bs.map((b) => b.state.inFlight);
  assert.ok(new Set(taken.map((b) => b.address)).size >= 3, `loads ${loads}`);
  assert.ok(Math.max(...loads) <= 3, `loads ${loads}`);
  assert.equal(home.state.inFlight, 3); // the key's own backend is filled first
  // When they end the key is back home.
  for (const b of taken) requestEnded(b.state, 100, 1);
  assert.equal(p.pick(ctxAt(1, undefined, 'hot')), home);
});

test('removing a backend moves only the keys it had; adding one moves keys only to it', () => {
  const before = owners(chash.build(backends([1, 1, 1, 1, 1]), undefined, deps));
  const without = owners(chash.build(backends([1, 1, 1, 1, 1]).filter((b) => b.address !== 'c'), undefined, deps));
  let moved = 0;
  before.forEach((a, i) => {
    if (a === 'c') moved++;
    else assert.equal(without[i], a, KEYS[i]);
  });
  assert.ok(moved > 200 && moved < 600, `c had ${moved} of 2000`);
  const added = owners(chash.build(backends([1, 1, 1, 1, 1, 1]), undefined, deps));
  before.forEach((a, i) => assert.ok(added[i] === a || added[i] === 'f', KEYS[i]));
});

test('keys follow the weights (virtual nodes in proportion) within 5 %', () => {
  const shares = owners(chash.build(backends([1, 3]), undefined, deps));
  const b = shares.filter((a) => a === 'b').length / KEYS.length;
  assert.ok(Math.abs(b - 0.75) < 0.05, `b share ${b}`);
  assert.ok(!owners(chash.build(backends([1, 0, 1]), undefined, deps)).includes('b')); // drained
});

test("a key whose backend is down or tried goes to the same next one on the ring, and returns home after", () => {
  const bs = backends([1, 1, 1, 1]);
  const p = chash.build(bs, undefined, deps);
  const home = p.pick(ctxAt(0, undefined, 'k'))!;
  const retry = p.pick({ fn: 'f', key: 'k', now: 0, tried: [home.state] })!;
  assert.notEqual(retry, home);
  home.state.downUntil = 10;
  for (let i = 0; i < 5; i++) assert.equal(p.pick(ctxAt(5, undefined, 'k')), retry);
  assert.equal(p.pick(ctxAt(10, undefined, 'k')), home);
});

test('an update with the same backends keeps the picker (no ring rebuild); new weights rebuild it', () => {
  const bs = backends([1, 2, 3]);
  const p = chash.build(bs, undefined, deps);
  assert.equal(chash.build(bs.map((b) => ({ ...b })), p, deps), p);
  assert.notEqual(chash.build(bs.map((b) => ({ ...b, weight: 1 })), p, deps), p);
});

test('hashKey is FNV-1a finished with fmix32 (values computed independently)', () => {
  assert.equal(hashKey(''), 2872998923);
  assert.equal(hashKey('hello'), 0x888d766e);
  assert.notEqual(hashKey('fn1'), hashKey('fn2'));
});

/** `n` backends of weight 1 with distinct addresses. */
function many(n: number): Backend[] {
  return Array.from({ length: n }, (_, i) => backend(`10.0.${i >> 8}.${i & 255}:8080`, 1));
}

test('walkLimit: the whole ring for a handful of backends, a few backends\' points for many', () => {
  assert.equal(walkLimit(512, 4), 512);
  assert.equal(walkLimit(128_000, 1000), 4 * 128);
  assert.equal(walkLimit(130_000, 10_000), MIN_WALK);
});

test('every backend down (panic routing): the mark ending first, without walking the whole ring', () => {
  const bs = many(1000);
  bs.forEach((b, i) => (b.state.downUntil = 10_000 + i));
  bs[537]!.state.downUntil = 5_000;
  const p = chash.build(bs, undefined, deps) as ChashPicker;
  for (const key of ['a', 'b', 'fn-7', 'hot']) {
    assert.equal(p.pick(ctxAt(1, undefined, key)), bs[537], key);
    assert.ok(p.walked <= walkLimit(1000 * 128, 1000) && p.walked < 1000, `walked ${p.walked} ring points`);
  }
  // Tried, it is skipped for the next mark to end.
  assert.equal(p.pick(ctxAt(1, [bs[537]!], 'a')), bs[0]);
});

test('all but one backend down: the walk stops at its cap and the scan finds the one usable backend', () => {
  const bs = many(1000);
  for (const b of bs) b.state.downUntil = 100;
  bs[421]!.state.downUntil = 0;
  const p = chash.build(bs, undefined, deps) as ChashPicker;
  for (const key of ['a', 'b', 'c']) {
    assert.equal(p.pick(ctxAt(1, undefined, key)), bs[421], key);
    assert.ok(p.walked < 1000, `walked ${p.walked}`);
  }
  // The normal path is unchanged: once the marks end, a key is back on its own backend after one step.
  const home = p.pick(ctxAt(100, undefined, 'a'))!;
  assert.equal(p.walked, 1);
  assert.equal(p.pick(ctxAt(100, undefined, 'a')), home);
});
