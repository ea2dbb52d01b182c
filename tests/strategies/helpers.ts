/** Shared builders for strategy unit tests. */
import { BackendState, BackendStates } from '../../strategies/backend-state.ts';

/** The registry of the test backends' states: one, as a weight table has one. */
export const TEST_STATES = new BackendStates();
import type { Backend, PickContext, Picker, StrategyDeps } from '../../strategies/strategy.ts';

/** A first-try pick context for function `f` at time 0. */
export const CTX: PickContext = { fn: 'f', key: 'f', now: 0, tried: undefined };

/** A backend with its own fresh state. */
export function backend(address: string, weight: number, host = address, port = 80): Backend {
  return { address, host, port, weight, gateway: false, state: new BackendState(address, TEST_STATES) };
}

/** Backends named a, b, c... with the given weights. */
export function backends(weights: readonly number[], names = 'abcdefghijklmnopqrstuvwxyz'): Backend[] {
  return weights.map((weight, i) => backend(names[i]!, weight));
}

/** `n` picks as a string of addresses separated by spaces ('-' for none). */
export function picks(p: Picker, n: number, ctx: PickContext = CTX): string {
  return Array.from({ length: n }, () => p.pick(ctx)?.address ?? '-').join(' ');
}

/** Deps with scripted randomness: returns the values in order, cycling. */
export function scripted(values: readonly number[]): StrategyDeps {
  let i = 0;
  return { random: () => values[i++ % values.length]!, now: () => 0 };
}

/** Deps with a seeded PRNG (mulberry32): repeatable, well spread. */
export function seeded(seed: number): StrategyDeps {
  let a = seed >>> 0;
  return {
    random: () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    now: () => 0,
  };
}

/** A pick context at `now` with `tried` states (retries). */
export function ctxAt(now: number, tried?: readonly Backend[], key = 'f'): PickContext {
  return { fn: 'f', key, now, tried: tried?.map((b) => b.state) };
}

/** How often each address comes up in `n` picks with `ctx`. */
export function counts(p: Picker, n: number, ctx: PickContext = CTX): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const a = p.pick(ctx)?.address ?? '-';
    out.set(a, (out.get(a) ?? 0) + 1);
  }
  return out;
}
