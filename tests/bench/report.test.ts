/**
 * The bench's schedule and ratios (bench/report.mjs): every target runs
 * between two nginx runs, and its ratio is taken to those two.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bracketedRatios, median, roundOrder } from '../../bench/report.mjs';

describe('roundOrder', () => {
  const names = ['upstream', 'nginx', 'haproxy', 'golb-bun'];

  it('puts an nginx run before and after every other target', () => {
    assert.deepEqual(roundOrder(names, 0), ['nginx', 'upstream', 'nginx', 'haproxy', 'nginx', 'golb-bun', 'nginx']);
  });

  it('rotates the other targets by one per round', () => {
    assert.deepEqual(roundOrder(names, 1), ['nginx', 'haproxy', 'nginx', 'golb-bun', 'nginx', 'upstream', 'nginx']);
    assert.deepEqual(roundOrder(names, 3), roundOrder(names, 0));
  });

  it('without nginx, runs the targets in turn', () => {
    assert.deepEqual(roundOrder(['golb-bun', 'golb-deno'], 1), ['golb-deno', 'golb-bun']);
  });
});

describe('bracketedRatios', () => {
  const run = (name: string, rps: number) => ({ name, run: { rps } });

  it('divides each run by the mean of the nginx runs around it, not by a distant one', () => {
    // The machine slows down over the round: nginx 100, then 80, then 60.
    const timeline = [run('nginx', 100), run('golb-bun', 90), run('nginx', 80), run('golb-deno', 35), run('nginx', 60)];
    const ratios = bracketedRatios(timeline, (r) => r.rps);
    assert.deepEqual(ratios.get('golb-bun'), [1]);
    assert.deepEqual(ratios.get('golb-deno'), [0.5]);
    assert.equal(ratios.has('nginx'), false);
  });

  it('uses the one nginx run there is at either end, and collects every round', () => {
    const timeline = [run('golb-bun', 50), run('nginx', 100), run('golb-bun', 120), run('nginx', 100), run('golb-bun', 45)];
    assert.deepEqual(bracketedRatios(timeline, (r) => r.rps).get('golb-bun'), [0.5, 1.2, 0.45]);
    assert.equal(median(bracketedRatios(timeline, (r) => r.rps).get('golb-bun')!), 0.5);
  });

  it('gives no ratio when nginx never ran', () => {
    assert.equal(bracketedRatios([run('golb-bun', 50)], (r) => r.rps).size, 0);
  });
});
