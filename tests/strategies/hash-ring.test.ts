/** The ring's lookup through its bucket index finds what a plain scan finds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRing, hashKey, ringSearch } from '../../strategies/hash-ring.ts';

/** The first point at or after `hash`, wrapping to 0, by scanning every point. */
function scan(points: Uint32Array, hash: number): number {
  for (let i = 0; i < points.length; i++) if (points[i]! >= hash) return i;
  return 0;
}

test('ringSearch agrees with a scan, for rings of 1 to 1,000 backends and hashes on, between and past the points', () => {
  for (const n of [1, 2, 3, 10, 1000]) {
    const addresses = Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}:8080`);
    const ring = buildRing(addresses, addresses.map((_, i) => 1 + (i % 10)));
    const { points } = ring;
    assert.ok(ring.buckets.length === 2 ** ring.bits + 1 && ring.buckets[ring.buckets.length - 1] === points.length);
    const hashes = [0, 1, 0xffffffff, points[0]!, points[0]! + 1, points[points.length - 1]!, points[points.length - 1]! + 1];
    for (let k = 0; k < 2000; k++) hashes.push(hashKey(`key-${n}-${k}`));
    for (let k = 0; k < 50; k++) hashes.push(points[(k * 7919) % points.length]!);
    for (const h of hashes) {
      const hash = h >>> 0;
      assert.equal(ringSearch(ring, hash), scan(points, hash), `n=${n} hash=${hash}`);
    }
  }
});
