/**
 * The strategies golb knows, by the name used in `eb_go_lb_handler_type` and in
 * a function value's optional `"strategy"` field.
 * @module
 */
import type { Strategy } from './strategy.ts';
import { wrr } from './wrr.ts';
import { rr } from './rr.ts';
import { random } from './random.ts';
import { p2c } from './p2c.ts';
import { ewma } from './ewma.ts';
import { chash } from './chash.ts';

/** Every available strategy by name. */
export const STRATEGIES: ReadonlyMap<string, Strategy> = new Map<string, Strategy>(
  [wrr, rr, random, p2c, ewma, chash].map((s) => [s.name, s]),
);

/** The strategy of that name, or `undefined`. */
export function strategyByName(name: string): Strategy | undefined {
  return STRATEGIES.get(name);
}
