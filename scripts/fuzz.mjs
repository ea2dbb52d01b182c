#!/usr/bin/env node
// `npm run fuzz`: the differential fuzz of golb's HTTP/1.1 parsers against
// Node's llhttp (docs/fuzzing.md), longer than the fixed-seed slice in
// `npm test`. Runs under `node --import tsx` (the package script does that).
//
//   npm run fuzz -- [--target request|response|both] [--seed N]
//                   [--iterations N] [--time SECONDS] [--case-seed N]
//
// --iterations: cases per target (default 100000); --time: stop each target
// after this many seconds even if the iterations are not done; --seed: the
// run's seed (default: a random one, printed); --case-seed: replay one case
// (the seed a divergence is printed with) and print what both parsers made of it.
// Exits 1 when golb was looser than llhttp on any case.
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { caseFor, formatStats, fuzzRun, newStats, runCase } from '../tests/support/fuzz/compare.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'both' },
    seed: { type: 'string' },
    iterations: { type: 'string', default: '100000' },
    time: { type: 'string' },
    'case-seed': { type: 'string' },
  },
});
const targets = values.target === 'both' ? ['request', 'response'] : [values.target];
for (const t of targets) {
  if (t !== 'request' && t !== 'response') {
    console.error(`--target: request, response or both, not ${t}`);
    process.exit(2);
  }
}

if (values['case-seed'] !== undefined) {
  const caseSeed = Number(values['case-seed']);
  for (const target of targets) {
    const c = caseFor(target, caseSeed);
    const { verdict, golb, llhttp } = runCase(target, c);
    console.log(JSON.stringify({ target, caseSeed, bytes: c.bytes.toString('latin1'), cuts: c.cuts, isHead: c.isHead, eof: c.eof, verdict, golb, llhttp }, null, 2));
  }
  process.exit(0);
}

const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
const iterations = Number(values.iterations);
const seconds = values.time === undefined ? Infinity : Number(values.time);
console.log(`fuzz: seed ${seed}, up to ${iterations} cases per target${seconds === Infinity ? '' : `, at most ${seconds} s each`}; Node ${process.version}, llhttp ${process.versions.llhttp}`);
let divergences = 0;
for (const target of targets) {
  const started = Date.now();
  const stats = fuzzRun(target, seed, iterations, started + seconds * 1000, newStats());
  const took = (Date.now() - started) / 1000;
  console.log(`\n${formatStats(target, stats)}\n  (${took.toFixed(1)} s, ${Math.round(stats.cases / Math.max(took, 0.001))} cases/s)`);
  for (const f of stats.found.slice(0, 20)) {
    console.log(`\nDIVERGENCE (${target}, case seed ${f.seed}): ${f.what}\n  bytes: ${f.bytes}\n  cuts: ${JSON.stringify(f.cuts)} isHead: ${f.isHead} eof: ${f.eof}\n  replay: npm run fuzz -- --target ${target} --case-seed ${f.seed}`);
  }
  if (stats.found.length > 20) console.log(`\n... and ${stats.found.length - 20} more divergences`);
  divergences += stats.found.length;
}
console.log(`\nfuzz: seed ${seed}: ${divergences === 0 ? 'golb was never looser than llhttp' : `${divergences} divergences`}`);
process.exit(divergences === 0 ? 0 : 1);
