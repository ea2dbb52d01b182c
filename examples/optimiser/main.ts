/**
 * golb's example optimiser: reads the load reports every gateway of a zone
 * writes into etcd and writes least-response-time weights back, the way
 * edgerun's `WrrOptimizer` computes them (`lrt.ts`). Run it with Node:
 *
 *     eb_go_lb_etcd_host=127.0.0.1:2379 eb_go_lb_zone=zone-a npm run optimiser
 *     npm run optimiser -- --dry-run --interval 5s
 *
 * It is a reference to start your own from: `settings.ts` (flags and
 * variables), `reports.ts` (reading reports), `lrt.ts` (the weights, pure),
 * `round.ts` (one round against etcd). docs/optimisers.md explains each step.
 * @module
 */
import { hostname } from 'node:os';
import { Etcd3 } from 'etcd3';
import { createLogger } from '../../app/logger.ts';
import { newState, runRound } from './round.ts';
import { USAGE, parseSettings } from './settings.ts';

/** Time an etcd call may take before the round counts as failed. */
const CALL_TIMEOUT_MS = 10_000;

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const parsed = parseSettings(process.env, process.argv.slice(2));
if (!parsed.ok) {
  console.error(`optimiser: ${parsed.problem}`);
  process.exit(2);
}
const settings = parsed.settings;
const log = createLogger({ mode: 'dev', node: hostname() });
const etcd = new Etcd3({
  hosts: settings.etcdHosts.map((h) => `http://${h}`),
  // etcd3 gives a call no deadline: against an unreachable etcd a round would wait for ever.
  defaultCallOptions: () => ({ deadline: Date.now() + CALL_TIMEOUT_MS }),
});
const state = newState();
let timer: NodeJS.Timeout | undefined;

/** One round; a failed one is logged and the next tries again. Resolves false when it failed. */
async function round(): Promise<boolean> {
  try {
    await runRound(etcd, settings, state, log);
    return true;
  } catch (err) {
    log.warn(settings.once ? 'round failed' : 'round failed; trying again next round', { error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

async function loop(): Promise<void> {
  await round();
  timer = setTimeout(() => void loop(), settings.intervalMs);
}

if (settings.once) {
  const ok = await round();
  etcd.close();
  process.exit(ok ? 0 : 1);
}

log.info('optimiser started', {
  zone: settings.zone,
  etcd: settings.etcdHosts.join(','),
  interval: `${settings.intervalMs / 1000}s`,
  window: `${settings.windowMs / 1000}s`,
  scaling: settings.scaling,
  thresholdPercent: Number((settings.threshold * 100).toPrecision(12)),
  dryRun: settings.dryRun,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    clearTimeout(timer);
    etcd.close();
    process.exit(0);
  });
}
void loop();
