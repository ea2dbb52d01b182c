#!/usr/bin/env node
/**
 * A big zone at start: 10,000 functions in etcd, golb started against it.
 * Prints the time from spawning golb to /readyz 200 (the runtime's own start
 * included), the part of it golb spent reading and building the table (its
 * "golb starting" to "weights loaded" log lines), and golb's resident memory
 * (VmRSS) once loaded, next to the same golb on an empty zone. The issue asks
 * for under 2 s and under 100 MB.
 *
 * Every function lists the same three backends unless `--distinct-backends`
 * gives each its own three addresses (the worst case for memory).
 *
 * `node bench/etcd-load.mjs [--runtime bun|deno|node|binary] [--functions 10000] [--distinct-backends]`
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { cleanup, rssMiB, runtimeArg, startBackend, startEtcd, startGolb } from './etcd-common.mjs';

const runtime = runtimeArg();
const countArg = process.argv.indexOf('--functions');
const FUNCTIONS = countArg >= 0 ? Number(process.argv[countArg + 1]) : 10_000;
const DISTINCT = process.argv.includes('--distinct-backends');

/** Milliseconds between two JSON log lines (prod mode) picked by their `msg`. */
function logSpan(output, fromMsg, toMsg) {
  const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const from = lines.find((l) => l.msg === fromMsg);
  const to = lines.find((l) => l.msg === toMsg);
  return from && to ? Date.parse(to.time) - Date.parse(from.time) : NaN;
}

try {
  const etcd = await startEtcd();
  const backends = [await startBackend(), await startBackend(), await startBackend()];
  const client = new Etcd3({ hosts: [`http://${etcd}`] });
  const writeStart = performance.now();
  // Three backends each, varied weights.
  const ipsOf = (n) => (DISTINCT ? [0, 1, 2].map((k) => `10.${(n >> 8) & 255}.${n & 255}.${k + 1}:8080`) : backends);
  for (let i = 0; i < FUNCTIONS; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, FUNCTIONS - i) }, (_, j) =>
        client.put(`golb/function/big/fn-${i + j}`).value(JSON.stringify({ ips: ipsOf(i + j), weights: [1 + ((i + j) % 5), 2, 3] })),
      ),
    );
  }
  client.close();
  console.log(`wrote ${FUNCTIONS} functions into golb/function/big/ in ${((performance.now() - writeStart) / 1000).toFixed(1)} s`);

  const empty = await startGolb(runtime, { etcd, zone: 'empty' });
  await sleep(500);
  const emptyRss = rssMiB(empty.pid);

  const golb = await startGolb(runtime, { etcd, zone: 'big' });
  const readyz = await (await fetch(`${golb.url}/readyz`)).json();
  if (readyz.functions !== FUNCTIONS) throw new Error(`golb loaded ${readyz.functions} functions, expected ${FUNCTIONS}`);
  if (!DISTINCT) {
    const probe = await fetch(`${golb.url}/function/fn-${FUNCTIONS - 1}/`);
    await probe.arrayBuffer();
    if (probe.status !== 200) throw new Error(`a loaded function answered ${probe.status}`);
  }
  const samples = [];
  // Sampled for 2 s: the first samples still hold the read's garbage.
  for (let i = 0; i < 4; i++) {
    await sleep(500);
    samples.push(rssMiB(golb.pid));
  }
  const rss = samples[samples.length - 1];
  const loadMs = logSpan(golb.output(), 'golb starting', 'weights loaded');

  console.log(`golb on ${runtime}, ${FUNCTIONS} functions (${DISTINCT ? 'each with its own 3 backends' : 'all listing the same 3 backends'}):`);
  console.log(`  spawn → /readyz 200: ${golb.readyMs.toFixed(0)} ms (empty zone: ${empty.readyMs.toFixed(0)} ms) (target < 2000 ms: ${golb.readyMs < 2000 ? 'met' : 'NOT met'})`);
  console.log(`  of which reading etcd and building the table: ${loadMs} ms (from golb's log)`);
  console.log(`  RSS after load: ${rss.toFixed(1)} MiB = ${(rss * 1.048576).toFixed(1)} MB; the empty zone: ${emptyRss.toFixed(1)} MiB, so the functions take ${(rss - emptyRss).toFixed(1)} MiB (target < 100 MB: ${rss * 1.048576 < 100 ? 'met' : 'NOT met'})`);
  process.exitCode = golb.readyMs < 2000 && rss * 1.048576 < 100 ? 0 : 1;
} finally {
  await cleanup();
}
