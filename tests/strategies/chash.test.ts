import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chash } from '../../strategies/chash.ts';
import { hashKey } from '../../strategies/hash-ring.ts';
import { requestEnded, requestStarted } from '../../strategies/backend-state.ts';
import type { Backend, Picker } from '../../strategies/strategy.ts';
import { backends, ctxAt, seeded } from './helpers.ts';

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
