import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STRATEGIES } from '../../strategies/registry.ts';
import { panicPick, usable } from '../../strategies/availability.ts';
import { backends, counts, ctxAt, seeded } from './helpers.ts';

// Every registered strategy obeys the same availability rules.
for (const strategy of STRATEGIES.values()) {
  const build = (weights: number[]) => {
    const bs = backends(weights);
    return { bs, p: strategy.build(bs, undefined, seeded(7)) };
  };

  test(`${strategy.name}: never picks a passively marked, actively unhealthy, drained or tried backend while another is usable`, () => {
    const { bs, p } = build([1, 1, 1, 1, 0]);
    bs[0]!.state.downUntil = 500; // marked down until 500
    bs[1]!.state.healthy = false; // the active probe failed it
    const seen = counts(p, 200, ctxAt(100, [bs[2]!]));
    assert.deepEqual([...seen.keys()], ['d']);
    // The mark has run out at 500: a is usable again (many keys, for chash's sake).
    const again = new Set(Array.from({ length: 200 }, (_, i) => p.pick(ctxAt(500, undefined, `k${i}`))?.address));
    assert.ok(again.has('a'));
  });

  test(`${strategy.name}: nothing usable → panic routing to the mark that ends first, among the not tried and actively healthy`, () => {
    const { bs, p } = build([1, 1, 1, 1]);
    bs[0]!.state.downUntil = 300;
    bs[1]!.state.downUntil = 200; // earliest, but tried below
    bs[2]!.state.downUntil = 250;
    bs[3]!.state.downUntil = 100;
    bs[3]!.state.healthy = false; // earliest of all, but the probe fails it
    assert.equal(p.pick(ctxAt(50))?.address, 'b');
    assert.equal(p.pick(ctxAt(50, [bs[1]!]))?.address, 'c');
  });

  test(`${strategy.name}: every backend actively unhealthy or tried → undefined (503)`, () => {
    const { bs, p } = build([1, 1, 1]);
    for (const b of bs) b.state.healthy = false;
    assert.equal(p.pick(ctxAt(0)), undefined);
    bs[0]!.state.healthy = true;
    assert.equal(p.pick(ctxAt(0))?.address, 'a');
    assert.equal(p.pick(ctxAt(0, [bs[0]!])), undefined);
  });
}

test('usable and panicPick directly', () => {
  const bs = backends([1, 0, 2]);
  assert.equal(usable(bs[0]!, ctxAt(0)), true);
  assert.equal(usable(bs[1]!, ctxAt(0)), false); // drained
  assert.equal(usable(bs[0]!, ctxAt(0, [bs[0]!])), false); // tried
  bs[2]!.state.downUntil = 10;
  assert.equal(usable(bs[2]!, ctxAt(9)), false);
  assert.equal(usable(bs[2]!, ctxAt(10)), true);
  bs[0]!.state.downUntil = 20;
  // Panic never returns a drained backend, even one never marked.
  assert.equal(panicPick(bs, ctxAt(0))?.address, 'c');
});
