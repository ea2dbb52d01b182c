/**
 * `random`: weighted random choice with Vose's alias method (Vose 1991,
 * "A linear algorithm for generating random numbers with a given distribution").
 *
 * Cost: `build` is O(n); `pick` is O(1): one random number picks a column and
 * decides between the column's backend and its alias. Randomness is injected.
 *
 * Availability (`availability.ts`): a drawn backend that is down or already
 * tried is redrawn (up to {@link REDRAWS} times, which keeps the proportions
 * among the usable ones exact); after that one O(n) weighted draw among the
 * usable ones, then panic routing.
 * @module
 */
import type { Backend, PickContext, Picker, Strategy, StrategyDeps } from './strategy.ts';
import { AliasTable } from './alias-table.ts';
import { panicPick, usable, weightedUsable } from './availability.ts';

/** Weighted draws tried before the O(n) draw among the usable backends. */
export const REDRAWS = 4;

/**
 * A usable backend drawn by weight, other than `except`: up to {@link REDRAWS}
 * alias draws, then one exact O(n) draw among the usable; `undefined` when none.
 */
export function drawUsable(
  backends: readonly Backend[],
  table: AliasTable,
  random: () => number,
  ctx: PickContext,
  except: Backend | undefined,
): Backend | undefined {
  for (let k = 0; k < REDRAWS; k++) {
    const b = backends[table.draw(random())]!;
    if (b !== except && usable(b, ctx)) return b;
  }
  return weightedUsable(backends, ctx, random(), except);
}

/** Weighted random choice in O(1). */
export class RandomPicker implements Picker {
  private readonly backends: readonly Backend[];
  private readonly table: AliasTable;
  private readonly random: () => number;

  constructor(all: readonly Backend[], random: () => number) {
    this.random = random;
    this.backends = all.filter((b) => b.weight > 0);
    this.table = new AliasTable(this.backends.map((b) => b.weight));
  }

  pick(ctx: PickContext): Backend | undefined {
    if (this.backends.length === 0) return undefined;
    return drawUsable(this.backends, this.table, this.random, ctx, undefined) ?? panicPick(this.backends, ctx);
  }
}

/** The `random` strategy. */
export const random = {
  name: 'random',
  build(backends, _previous, deps: StrategyDeps) {
    return new RandomPicker(backends, deps.random);
  },
} satisfies Strategy;
