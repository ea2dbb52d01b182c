/** Types of golb-command.mjs, for the TypeScript tests that share it. */
/** The project root. */
export declare const ROOT: string;
/** `[command, ...args]` that start golb under `runtime` (`binary`: dist/golb, after `npm run build`). */
export declare function golbCommand(runtime: 'bun' | 'deno' | 'node' | 'binary'): string[];
