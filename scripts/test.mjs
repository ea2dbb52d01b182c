#!/usr/bin/env node
// `npm test`: type check (tsc for Bun and Node code, `deno check` for the Deno
// entry), then every test file under tests/ with Node's test runner. The runner
// prints its own summary (`# pass N` / `# fail N`), so a run that tested
// nothing is visible.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules/.bin', name);
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
};

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return testFiles(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const only = process.argv.slice(2);
if (only.length === 0) {
  console.log('== type check');
  if (run(bin('tsc'), ['-p', 'tsconfig.json']) !== 0) process.exit(1);
  if (run(join(root, 'node_modules/deno/deno'), ['check', '--quiet', 'app/main.deno.ts'], { NO_COLOR: '1' }) !== 0) process.exit(1);
}
const files = only.length > 0 ? only : testFiles(join(root, 'tests')).sort();
console.log(`== tests (${files.length} files)`);
process.exit(run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files]));
