/** Where a retry may go (docs/health-and-retries.md, "Retries"): never to a backend tried or marked down. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryPick } from '../../../app/forwarding/failed-attempt.ts';
import { wrr } from '../../../strategies/wrr.ts';
import { chash } from '../../../strategies/chash.ts';
import { backends, scripted } from '../../strategies/helpers.ts';

const deps = scripted([0.5]);

test('a retry goes to a usable backend the request did not try', () => {
  const bs = backends([1, 1, 1]);
  const p = wrr.build(bs, undefined, deps);
  const next = retryPick(p, { fn: 'f', key: 'f', now: 10, tried: [bs[0]!.state] });
  assert.ok(next !== undefined && next !== bs[0]);
});

test('no panic routing on a retry: every untried backend marked down ends the retries', () => {
  for (const strategy of [wrr, chash]) {
    const bs = backends([1, 1, 1]);
    bs[0]!.state.downUntil = 200;
    bs[1]!.state.downUntil = 100;
    bs[2]!.state.downUntil = 50;
    const p = strategy.build(bs, undefined, deps);
    // The first attempt still gets the panic choice (the mark ending first)...
    assert.equal(p.pick({ fn: 'f', key: 'f', now: 10, tried: undefined }), bs[2], strategy.name);
    // ...after it failed, the picker would hand out the next mark to end; a retry takes none.
    const tried = [bs[2]!.state];
    assert.equal(p.pick({ fn: 'f', key: 'f', now: 10, tried }), bs[1], strategy.name);
    assert.equal(retryPick(p, { fn: 'f', key: 'f', now: 10, tried }), undefined, strategy.name);
    // Once a mark ends, that backend takes the retry.
    assert.equal(retryPick(p, { fn: 'f', key: 'f', now: 100, tried }), bs[1], strategy.name);
  }
});

test('an actively unhealthy backend takes no retry; a tried one never twice', () => {
  const bs = backends([1, 1]);
  bs[1]!.state.healthy = false;
  const p = wrr.build(bs, undefined, deps);
  assert.equal(retryPick(p, { fn: 'f', key: 'f', now: 0, tried: [bs[0]!.state] }), undefined);
  const liar = { pick: () => bs[0]! };
  assert.equal(retryPick(liar, { fn: 'f', key: 'f', now: 0, tried: [bs[0]!.state] }), undefined);
});
