/**
 * The build the test suite runs, which is the Dockerfile's build step too
 * (tests/dockerfile.test.ts holds the two together): package.json's `build`
 * script, `npm run build`, making dist/golb and the release binaries
 * (scripts/build.ts). Suites that need the binaries run it once in `before`.
 * @module
 */
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { ROOT } from './harness.ts';

/** The build command, as a shell (and the Dockerfile's RUN) writes it. */
export const BUILD_COMMAND = ['npm', 'run', 'build'] as const;

/** Runs {@link BUILD_COMMAND} in the checkout; fails the caller with the build's output when it fails or takes longer than `timeoutMs`. */
export function buildRelease(timeoutMs: number): void {
  const [cmd, ...args] = BUILD_COMMAND;
  const build = spawnSync(cmd, [...args, '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  assert.equal(build.status, 0, `${BUILD_COMMAND.join(' ')} failed (${build.error?.message ?? `exit ${build.status}`}):\n${build.stdout}\n${build.stderr}`);
}
