/**
 * Before any timing: does every target answer with the upstream's body, and
 * does the upstream receive the rewritten request-target? The upstream echoes
 * the target it received when a request carries `X-Bench-Echo`
 * (conf/upstream.conf), so the rewrite is checked on the URL wrk loads and on
 * the edge cases of the prefix (no rest, query only, deeper path).
 * @module
 */
import { httpGet } from './http.mjs';
import { FUNCTION } from './targets.mjs';

/** The upstream's body, byte for byte. */
export const UPSTREAM_BODY = 'hello from backend\n';

/** The path wrk loads. */
export const BENCH_PATH = `/function/${FUNCTION}/bench?x=1`;

/** Request path → request-target the upstream must see. */
const REWRITES = [
  [BENCH_PATH, '/bench?x=1'],
  [`/function/${FUNCTION}`, '/'],
  [`/function/${FUNCTION}?y=2`, '/?y=2'],
  [`/function/${FUNCTION}/a/b?x=1&y=2`, '/a/b?x=1&y=2'],
];

const show = (s) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** The problems of one target, as lines; empty when it proxies correctly. */
async function problemsOf(target) {
  const problems = [];
  const check = async (path, headers, want) => {
    try {
      const res = await httpGet(target.port, path, headers);
      if (res.status !== 200 || res.body !== want) {
        const how = headers['x-bench-echo'] ? ' (X-Bench-Echo: the upstream echoes the target it got)' : '';
        problems.push(`GET ${path}${how}: got ${res.status} ${show(res.body)}, expected 200 ${show(want)}`);
      }
    } catch (err) {
      problems.push(`GET ${path}: ${err.message}`);
    }
  };
  await check(BENCH_PATH, {}, UPSTREAM_BODY);
  // The upstream itself answers every path as is: there is no rewrite to check.
  if (!target.direct) for (const [path, want] of REWRITES) await check(path, { 'x-bench-echo': '1' }, `${want}\n`);
  return problems;
}

/** Checks every target; throws one message listing every problem found. */
export async function verifyTargets(targets) {
  const lines = [];
  for (const t of targets) {
    const problems = await problemsOf(t);
    for (const p of problems) lines.push(`  ${t.name} (port ${t.port}): ${p}`);
  }
  if (lines.length > 0) throw new Error(`targets do not proxy to the upstream correctly, nothing was measured:\n${lines.join('\n')}`);
}
