/**
 * The command that runs golb on a runtime, as the package scripts do; shared
 * by the proxy bench (targets.mjs) and the etcd benches (etcd-common.mjs).
 * @module
 */
import { join } from 'node:path';

/** The project root. */
export const ROOT = new URL('..', import.meta.url).pathname;

/** `[command, ...args]` that start golb under `runtime` (`binary`: dist/golb, after `npm run build`). */
export function golbCommand(runtime) {
  switch (runtime) {
    case 'bun':
      return [join(ROOT, 'node_modules/.bin/bun'), 'app/main.bun.ts'];
    case 'deno':
      return [join(ROOT, 'node_modules/deno/deno'), 'run', '--unstable-no-legacy-abort', '-A', 'app/main.deno.ts'];
    case 'node':
      return [process.execPath, '--import', 'tsx', 'app/main.node.ts'];
    case 'binary':
      return [join(ROOT, 'dist/golb')];
    default:
      throw new Error(`unknown runtime ${runtime} (bun, deno, node, or binary for dist/golb)`);
  }
}
