/**
 * The optimiser loop closed, end to end, on each runtime: golb (a load report
 * every second) in front of two pods of one function, weights 1:1 in a real
 * etcd, and the example optimiser (`examples/optimiser/`, on Node) reading
 * the reports and writing weights back. Under steady traffic from a few
 * clients, the pod 40 ms slower than the other loses its traffic (its share,
 * counted at the pods over the last seconds, falls below a quarter and stays
 * there); made as fast as the other, it wins it back (above 35 %). Nothing
 * but the loop moves the weights: the test writes 1:1 once and then changes
 * only the pod.
 *
 * What the optimiser's formula, weight = max(1, 100 / (rt / rt_min)^2.5),
 * makes of it:
 *
 * - The fast pod answers in about 1 ms through golb, the slow one in about
 *   41: 100 / 41^2.5 is under 1, so the first round writes 100 : 1 and the
 *   slow pod gets 1 request in 101. Its share falls as soon as golb follows
 *   the write, about two seconds after the traffic starts.
 * - Made fast, the slow pod still gets that 1 % (under `wrr`, exactly 1 pick
 *   in 101; about one request a second here), so it keeps being measured:
 *   a backend with no traffic would keep its weight for ever. Its average
 *   falls as 1 + 40·e^(−t / window) ms; a share above 35 % needs a weight
 *   above 54, rt / rt_min under 1.28, about window · ln(40 / 0.28) = 10 s
 *   with the 2 s window given here (45 s by default: several minutes). It
 *   then settles near 50 %. Each step has 30 s.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT, RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { putKey, sharedEtcd, uniqueZone, value, waitLog } from '../support/etcd-harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

/** golb's report interval, s. */
const REPORT_INTERVAL_S = 1;
/** The optimiser's flags: a round a second, and a response-time average over 2 s so that it reacts within the test. */
const OPTIMISER_FLAGS = ['--interval', '1s', '--window', '2s'];
/** What the slow pod takes longer than the fast one to answer, ms. */
const SLOW_EXTRA_MS = 40;
/** Concurrent clients, each sending its next request this long after its last answer: a modest rate for 2 shared cores. */
const CLIENTS = 4;
const PAUSE_MS = 50;
/** The pods' share of requests is counted over this last stretch of time. */
const SHARE_WINDOW_MS = 4_000;
/** ... and only once the stretch holds this many requests (a share of a handful means nothing). */
const SHARE_MIN_REQUESTS = 40;
/** How long each step of the loop may take (generous: 2 cores shared by many). */
const STEP_MS = 30_000;
/** The slow pod's share must fall below the first, then come back above the second. */
const LOW_SHARE = 0.25;
const BACK_SHARE = 0.35;

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
before(async () => {
  etcd = await sharedEtcd();
});
after(() => etcd.release());

/** A pod that answers after `delayMs()` and remembers when each request arrived. */
interface Pod {
  backend: Backend;
  arrivals: number[];
}

async function startPod(delayMs: () => number): Promise<Pod> {
  const arrivals: number[] = [];
  const backend = await startBackend((_req, res) => {
    arrivals.push(Date.now());
    setTimeout(() => res.end('ok'), delayMs());
  });
  return { backend, arrivals };
}

/** Requests that arrived at `pod` in the last `ms`. */
function recent(pod: Pod, ms: number): number {
  const since = Date.now() - ms;
  let n = 0;
  for (let i = pod.arrivals.length - 1; i >= 0 && pod.arrivals[i]! >= since; i--) n++;
  return n;
}

/** `CLIENTS` loops of requests to `url` until `stop()`; counts the answers by status. */
function steadyTraffic(url: string): { statuses: Map<number | string, number>; stop(): Promise<void> } {
  const statuses = new Map<number | string, number>();
  let running = true;
  const count = (k: number | string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  const client = async () => {
    while (running) {
      try {
        const r = await fetch(url);
        await r.arrayBuffer();
        count(r.status);
      } catch (err) {
        count(String(err));
      }
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  };
  const loops = Array.from({ length: CLIENTS }, client);
  return {
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** A share as a percentage, for messages. */
function pc(share: number | undefined): string {
  return share === undefined ? 'too few requests' : `${(share * 100).toFixed(1)} %`;
}

/** Starts the example optimiser on Node for `zone`; its output collects in `output()`. */
function startOptimiser(zone: string): { proc: ChildProcess; output(): string } {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/optimiser/main.ts', ...OPTIMISER_FLAGS], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

for (const runtime of RUNTIMES) {
  describe(`the optimiser loop with golb on ${runtime}`, () => {
    const zone = uniqueZone(`loop-${runtime}`);
    let slowExtraMs = SLOW_EXTRA_MS;
    let fast: Pod;
    let slow: Pod;
    let golb: GolbProcess;
    let optimiser: ReturnType<typeof startOptimiser>;
    let traffic: ReturnType<typeof steadyTraffic>;

    /** The slow pod's share of the requests of the last SHARE_WINDOW_MS, once there are enough of them. */
    const slowShare = (): number | undefined => {
      const [s, f] = [recent(slow, SHARE_WINDOW_MS), recent(fast, SHARE_WINDOW_MS)];
      return s + f >= SHARE_MIN_REQUESTS ? s / (s + f) : undefined;
    };
    /** What to look at when a step does not come: the optimiser's writes and the requests so far. */
    const story = () => `optimiser:\n${optimiser.output()}\nanswers: ${JSON.stringify([...traffic.statuses])}, fast ${fast.arrivals.length}, slow ${slow.arrivals.length}`;

    before(async () => {
      [fast, slow] = await Promise.all([startPod(() => 0), startPod(() => slowExtraMs)]);
      await putKey(etcd.etcdctl, `golb/function/${zone}/lrt`, value([fast.backend, slow.backend], [1, 1]));
      golb = await startGolb(runtime, { env: { eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone, eb_go_lb_load_report_interval: String(REPORT_INTERVAL_S) } });
      optimiser = startOptimiser(zone);
      await waitLog(optimiser.output, /optimiser started/, 20_000);
      traffic = steadyTraffic(`${golb.url}/function/lrt/`);
    });
    after(async () => {
      await traffic?.stop();
      optimiser?.proc.kill('SIGTERM');
      if (optimiser !== undefined) await waitForExit(optimiser.proc, 10_000);
      if (golb !== undefined) assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await Promise.all([fast?.backend.close(), slow?.backend.close()]);
    });

    test(`the pod ${SLOW_EXTRA_MS} ms slower loses its traffic: its share falls below ${LOW_SHARE * 100} %`, async (t) => {
      const began = Date.now();
      const share = await waitUntil(`the slow pod's share below ${LOW_SHARE}`, STEP_MS, () => {
        const s = slowShare();
        return s !== undefined && s < LOW_SHARE ? s : undefined;
      }).catch((err: Error) => assert.fail(`${err.message}\n${story()}`));
      const fell = Date.now() - began;
      // It stays there: a whole share window later, every request counted came after the write.
      await new Promise((r) => setTimeout(r, SHARE_WINDOW_MS));
      const settled = slowShare();
      t.diagnostic(`share ${pc(share)} after ${(fell / 1000).toFixed(1)} s, ${pc(settled)} ${SHARE_WINDOW_MS / 1000} s later`);
      assert.ok(settled !== undefined && settled < LOW_SHARE, `still low: ${pc(settled)}\n${story()}`);
      assert.match(optimiser.output(), /weights written function=lrt old=\[1,1\]/, 'the optimiser wrote the weights');
    });

    test(`made as fast as the other, it wins its traffic back: its share comes back above ${BACK_SHARE * 100} %`, async (t) => {
      slowExtraMs = 0;
      const began = Date.now();
      const share = await waitUntil(`the slow pod's share above ${BACK_SHARE}`, STEP_MS, () => {
        const s = slowShare();
        return s !== undefined && s > BACK_SHARE ? s : undefined;
      }).catch((err: Error) => assert.fail(`${err.message}\n${story()}`));
      t.diagnostic(`share ${pc(share)} after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      await traffic.stop();
      assert.doesNotMatch(golb.output(), /etcd value refused/, 'golb took every value the optimiser wrote');
      assert.deepEqual([...traffic.statuses], [[200, fast.arrivals.length + slow.arrivals.length]], 'every request answered 200 while the weights moved');
    });
  });
}
