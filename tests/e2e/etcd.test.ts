/**
 * The etcd weight source end to end, on each runtime, against a real etcd
 * (the run's shared one; each runtime in its own zone): the seed's etcdctl
 * command, exact weighted shares, update, add, delete, refused values, other
 * zones, writes racing golb's start, and readiness while etcd is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { ROOT, RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import {
  ETCDCTL_BIN, deleteKey, putKey, routeCounts, routeOnce, sharedEtcd, startEtcd, uniqueZone, value, waitLog, waitRoute,
} from '../support/etcd-harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

/** How long golb may take to apply a write it is watching (generous: 2 cores, 3 runtimes). */
const FOLLOW_MS = 5_000;

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
let a: Backend;
let b: Backend;
let c: Backend;

before(async () => {
  etcd = await sharedEtcd();
  [a, b, c] = await Promise.all([startBackend(), startBackend(), startBackend()]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
  await etcd.release();
});

function golbEnv(zone: string, hosts = etcd.hostSetting): Record<string, string> {
  return { eb_go_lb_etcd_host: hosts, eb_go_lb_zone: zone };
}

async function readyz(url: string): Promise<{ status: number; body: { status: string; source: string; functions: number } }> {
  const r = await fetch(`${url}/readyz`);
  return { status: r.status, body: (await r.json()) as { status: string; source: string; functions: number } };
}

for (const runtime of RUNTIMES) {
  describe(`etcd weights on ${runtime}`, () => {
    const zone = uniqueZone(`e2e-${runtime}`);
    const key = (fn: string) => `golb/function/${zone}/${fn}`;
    let golb: GolbProcess;

    before(async () => {
      // Written before golb starts: they come from the first read.
      await putKey(etcd.etcdctl, key('preloaded'), value([a], [1]));
      await putKey(etcd.etcdctl, `golb/function/${zone}-other/preloaded-elsewhere`, value([a], [1]));
      await putKey(etcd.etcdctl, key('bad-at-start'), '{"ips": ["x"], "weights": [1, 2]}');
      golb = await startGolb(runtime, { env: golbEnv(zone) });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
    });

    test('the first read is in: /readyz 200, its functions route, a bad one is refused', async () => {
      const r = await readyz(golb.url);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        status: 'ready', source: 'etcd', functions: 1,
        warnings: [{ code: 'etcd_functions_unknown', message: '1 function stays unknown (404) because its etcd value is refused and no good earlier value was found (the log says why): bad-at-start' }],
      });
      assert.equal(await routeOnce(golb.url, 'preloaded'), a.address);
      assert.equal(await routeOnce(golb.url, 'preloaded-elsewhere'), 'status 404', "another zone's key is not read");
      assert.equal(await routeOnce(golb.url, 'bad-at-start'), 'status 404');
      assert.match(golb.output(), new RegExp(`etcd value refused.*key=${key('bad-at-start')} reason=.*ips.* has 1 entries but .*weights.* has 2`));
    });

    test("the seed's etcdctl command, as its README writes it, routes", async () => {
      const command = `etcdctl put ${key('resnet')} '{"ips": ["${b.address}"], "weights":[3]}'`;
      const env = { PATH: process.env.PATH ?? '', ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcd.endpoints.join(',') };
      const { stdout } = await promisify(execFile)('sh', ['-c', command.replace(/^etcdctl/, ETCDCTL_BIN)], { env });
      assert.equal(stdout.trim(), 'OK');
      await waitRoute(golb.url, 'resnet', b.address, FOLLOW_MS);
    });

    test('3:2:1 weights give exactly 300/200/100 of 600 requests', async () => {
      const rev = await putKey(etcd.etcdctl, key('w321'), value([a, b, c], [3, 2, 1]));
      await waitLog(golb.output, new RegExp(`function updated function=w321 .*revision=${rev}\\b`), FOLLOW_MS);
      const counts = await routeCounts(golb.url, 'w321', 600);
      assert.deepEqual(counts, { [a.address]: 300, [b.address]: 200, [c.address]: 100 });
    });

    test('update, add and delete are followed; a deleted function is 404', async () => {
      await putKey(etcd.etcdctl, key('w321'), value([a, b, c], [0, 0, 1]));
      await waitRoute(golb.url, 'w321', c.address, FOLLOW_MS);
      assert.deepEqual(await routeCounts(golb.url, 'w321', 10), { [c.address]: 10 }, 'weight 0 drains a and b');
      await putKey(etcd.etcdctl, key('added'), value([b], [5]));
      await waitRoute(golb.url, 'added', b.address, FOLLOW_MS);
      await deleteKey(etcd.etcdctl, key('added'));
      await waitRoute(golb.url, 'added', 'status 404', FOLLOW_MS);
      const r = await fetch(`${golb.url}/function/added/`);
      assert.equal(((await r.json()) as { error: string }).error, 'unknown_function');
    });

    test('an update keeps the rotation going instead of restarting it', async () => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        // The same 1:1 value again and again: each put rebuilds the picker.
        const rev = await putKey(etcd.etcdctl, key('rotation'), value([a, b], [1, 1]));
        await waitLog(golb.output, new RegExp(`function updated function=rotation .*revision=${rev}\\b`), FOLLOW_MS);
        seen.push(await routeOnce(golb.url, 'rotation'));
      }
      assert.deepEqual(seen, [a.address, b.address, a.address, b.address, a.address, b.address]);
    });

    test('every kind of bad value is refused with a log line naming the key; the last good value keeps serving', async () => {
      await putKey(etcd.etcdctl, key('guarded'), value([a], [1]));
      await waitRoute(golb.url, 'guarded', a.address, FOLLOW_MS);
      const bad: [string, string, RegExp][] = [
        ['not JSON', '{"ips": ["10.0.0.1"], "weights":[3]', /not valid JSON/],
        ['lengths differ (the seed crashed with "index out of range")', `{"ips": ["${b.address}", "${c.address}"], "weights": [1]}`, /has 2 entries but .*weights.* has 1/],
        ['negative weight', `{"ips": ["${b.address}"], "weights": [-1]}`, /weights\[0\] must be a number from 0/],
        ['negative decimal weight', `{"ips": ["${b.address}"], "weights": [-1.5]}`, /weights\[0\] must be a number from 0/],
        ['string weight', `{"ips": ["${b.address}"], "weights": ["3"]}`, /weights\[0\] must be a number from 0/],
        ['huge weight', `{"ips": ["${b.address}"], "weights": [1e300]}`, /weights\[0\] must be a number from 0/],
        ['empty address', '{"ips": [""], "weights": [1]}', /empty address/],
        ['malformed address', '{"ips": ["10.0.0.1:80/x"], "weights": [1]}', /malformed/],
        ['unknown strategy', `{"ips": ["${b.address}"], "weights": [1], "strategy": "fastest"}`, /strategy.* must be one of/],
        ['not an object', '[1, 2, 3]', /JSON object/],
        ['empty value', '', /not valid JSON/],
        ['huge value (over 1 MiB)', `{"ips": ["${b.address}"], "weights": [1], "pad": "${'x'.repeat(1_100_000)}"}`, /more than 1048576/],
      ];
      for (const [what, text, reason] of bad) {
        const rev = await putKey(etcd.etcdctl, key('guarded'), text);
        const line = await waitLog(golb.output, new RegExp(`etcd value refused.*key=${key('guarded')} .*revision=${rev}\\b`), FOLLOW_MS);
        assert.match(line, reason, what);
        assert.match(line, /kept=true/, what);
        assert.deepEqual(await routeCounts(golb.url, 'guarded', 3), { [a.address]: 3 }, `${what}: the last good value serves`);
      }
      assert.equal(golb.proc.exitCode, null, 'golb is still running');

      // A function whose first value is bad stays unknown.
      const rev = await putKey(etcd.etcdctl, key('born-bad'), `{"ips": ["${a.address}"], "weights": [1, 1]}`);
      const line = await waitLog(golb.output, new RegExp(`etcd value refused.*key=${key('born-bad')} .*revision=${rev}\\b`), FOLLOW_MS);
      assert.match(line, /kept=false/);
      assert.equal(await routeOnce(golb.url, 'born-bad'), 'status 404');

      // A good value after bad ones is taken.
      await putKey(etcd.etcdctl, key('guarded'), value([c], [1]));
      await waitRoute(golb.url, 'guarded', c.address, FOLLOW_MS);
    });

    test("other zones' keys and keys deeper than a function are ignored", async () => {
      await putKey(etcd.etcdctl, `golb/function/${zone}-b/stranger`, value([a], [1]));
      await putKey(etcd.etcdctl, `golb/function/${zone}b/stranger`, value([a], [1]));
      await putKey(etcd.etcdctl, `golb/function/other-${zone}/stranger`, value([a], [1]));
      await putKey(etcd.etcdctl, `${key('stranger')}/deeper`, value([a], [1]));
      await putKey(etcd.etcdctl, key('bad name!'), value([a], [1]));
      // Events arrive in order: once the marker routes, the keys above were seen.
      await putKey(etcd.etcdctl, key('marker'), value([a], [1]));
      await waitRoute(golb.url, 'marker', a.address, FOLLOW_MS);
      assert.equal(await routeOnce(golb.url, 'stranger'), 'status 404');
      assert.match(golb.output(), new RegExp(`etcd key ignored.*key=${key('stranger')}/deeper`));
      assert.doesNotMatch(golb.output(), /key=golb\/function\/[^ ]*stranger /, 'no other zone was even watched');
      // A key right under the zone that names no function is a writer's mistake: WARN once, and a warning in /readyz.
      assert.equal(golb.output().split('\n').filter((l) => /WARN\s+etcd key ignored.*bad name!/.test(l)).length, 1, golb.output());
      const warned = async () => ((await (await fetch(`${golb.url}/readyz`)).json()) as { warnings?: { code: string; message: string }[] }).warnings?.find((w) => w.code === 'etcd_keys_ignored');
      assert.match((await warned())?.message ?? '', new RegExp(`^1 etcd key under golb/function/${zone}/ ignored, .*: "golb/function/${zone}/bad name!"$`));
      await deleteKey(etcd.etcdctl, key('bad name!'));
      await waitUntil('etcd_keys_ignored cleared', FOLLOW_MS, async () => ((await warned()) === undefined ? true : undefined));
    });

    test('writes racing the first read are all applied (read, then watch from its revision)', async () => {
      const burstZone = uniqueZone(`burst-${runtime}`);
      const client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
      const live = new Set<string>();
      let firstRev = 0;
      let lastRev = 0;
      let stop = false;
      let racer: GolbProcess | undefined;
      // One put (and, every third, a delete of an earlier key) at a time, as fast
      // as etcd takes them, from before golb starts until after it is ready.
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          const fn = `f${i}`;
          const res = await client.put(`golb/function/${burstZone}/${fn}`).value(value([a], [1])).exec();
          live.add(fn);
          lastRev = Number(res.header.revision);
          if (firstRev === 0) firstRev = lastRev;
          if (i % 3 === 2) {
            const gone = `f${i - 1}`;
            const del = await client.delete().key(`golb/function/${burstZone}/${gone}`).exec();
            live.delete(gone);
            lastRev = Number(del.header.revision);
          }
        }
      })();
      try {
        await waitUntil('the writer started', 5_000, () => (firstRev > 0 ? true : undefined));
        racer = await startGolb(runtime, { env: golbEnv(burstZone) });
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        stop = true;
        await writer;
        client.close();
      }
      try {
        const loaded = await waitLog(racer.output, /weights loaded source=etcd .*revision=(\d+)/, FOLLOW_MS);
        const readRev = Number(/revision=(\d+)/.exec(loaded)![1]);
        assert.ok(readRev > firstRev && readRev < lastRev, `the first read (revision ${readRev}) fell inside the writes (${firstRev}..${lastRev})`);
        await waitUntil(`golb holds the ${live.size} live functions`, FOLLOW_MS, async () => ((await readyz(racer!.url)).body.functions === live.size ? true : undefined));
        const newest = [...live].sort((x, y) => Number(y.slice(1)) - Number(x.slice(1)));
        assert.equal(await routeOnce(racer.url, newest[0]!), a.address, 'the last write routes');
        assert.equal(await routeOnce(racer.url, 'f1'), 'status 404', 'an early delete is applied');
      } finally {
        assert.equal(await racer.stop(), 0);
      }
    });
  });
}

describe('etcd down at start', () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: golb serves /healthz, answers /readyz 503 and functions 503 until etcd comes, then loads`, async () => {
      const own = await startEtcd();
      const zone = uniqueZone(`late-${runtime}`);
      await putKey(own.etcdctl, `golb/function/${zone}/early`, value([a], [1]));
      await own.kill('SIGKILL');
      const golb = await startGolb(runtime, { env: golbEnv(zone, own.hostSetting), waitReady: false });
      try {
        await waitUntil('golb listening', 20_000, async () => ((await fetch(`${golb.url}/healthz`)).status === 200 ? true : undefined));
        const r = await readyz(golb.url);
        assert.equal(r.status, 503);
        assert.equal(r.body.status, 'loading');
        assert.equal(await routeOnce(golb.url, 'early'), 'status 503', 'not loaded yet is 503, not 404');
        await new Promise((res) => setTimeout(res, 1000));
        assert.equal((await readyz(golb.url)).status, 503, 'still loading while etcd is away');
        await own.restart();
        await waitUntil('/readyz 200 after etcd came', 20_000, async () => ((await readyz(golb.url)).status === 200 ? true : undefined));
        assert.equal(await routeOnce(golb.url, 'early'), a.address);
      } finally {
        assert.equal(await golb.stop(), 0);
        await own.stop();
      }
    });
  }
});


describe('the compiled binary (bun build --compile) with etcd', () => {
  test('built by npm run build\'s script, it holds no build path, and run from an empty directory it loads and follows the zone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'golb-binary-etcd-'));
    try {
      const binary = join(dir, 'golb');
      await promisify(execFile)(join(ROOT, 'node_modules/.bin/bun'), ['scripts/build.ts', binary], { cwd: ROOT });
      // etcd3 loads its protos from `${__dirname}/..` at import: a baked build path
      // works here and fails on any other machine (see scripts/build.ts).
      assert.equal(readFileSync(binary).includes(ROOT), false, `the binary contains ${ROOT}`);
      const zone = uniqueZone('binary');
      await putKey(etcd.etcdctl, `golb/function/${zone}/first`, value([a], [1]));
      const port = await freePort();
      const proc = spawn(binary, [], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', eb_go_lb_listen_host: '127.0.0.1', eb_go_lb_listen_port: String(port), ...golbEnv(zone) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitUntil('the binary is ready', 20_000, async () => {
          if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode}: ${out}`);
          return (await readyz(url)).status === 200 ? true : undefined;
        });
        assert.equal(await routeOnce(url, 'first'), a.address);
        await putKey(etcd.etcdctl, `golb/function/${zone}/second`, value([b], [1]));
        await waitRoute(url, 'second', b.address, FOLLOW_MS);
      } finally {
        proc.kill('SIGTERM');
        const exit = await waitForExit(proc, 10_000);
        assert.equal(exit.code, 0, out);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
