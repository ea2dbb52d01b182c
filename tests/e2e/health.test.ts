/**
 * Active health checks end to end on each runtime: with a health path and a
 * short interval, a pod whose health path answers 500 gets no traffic after a
 * few rounds and gets it again once it answers 200; when every pod fails its
 * checks, requests get the 503 JSON error at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';

/** A pod whose `/health` answers `health.status`; counts the answers given with each status. */
async function pod() {
  const health = { status: 200, answered: new Map<number, number>() };
  const backend = await startBackend((req, res) => {
    if (req.url === '/health') {
      res.statusCode = health.status;
      res.end();
      health.answered.set(health.status, (health.answered.get(health.status) ?? 0) + 1);
      return;
    }
    res.end(JSON.stringify({ port: backend.port }));
  });
  const traffic = () => backend.seen.filter((s) => s.url !== '/health').length;
  /** Sets the status and waits until golb has certainly counted `n` probes answered with it. */
  const answer = async (status: number, n: number) => {
    health.status = status;
    health.answered.set(status, 0);
    // Probes of one address never overlap: once answer n+1 is sent, answer n was counted.
    const deadline = Date.now() + 20_000;
    while ((health.answered.get(status) ?? 0) < n + 1) {
      if (Date.now() > deadline) throw new Error(`no ${n + 1} probes answered ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { backend, health, traffic, answer };
}

for (const runtime of RUNTIMES) {
  describe(`active health checks on ${runtime}`, () => {
    let a: Awaited<ReturnType<typeof pod>>;
    let b: Awaited<ReturnType<typeof pod>>;
    let golb: GolbProcess;
    let backends: Backend[];

    before(async () => {
      [a, b] = await Promise.all([pod(), pod()]);
      backends = [a.backend, b.backend];
      golb = await startGolb(runtime, {
        weights: { f: { ips: [a.backend.address, b.backend.address], weights: [1, 1] } },
        env: { eb_go_lb_health_path: '/health', eb_go_lb_health_interval: '0.2', eb_go_lb_health_timeout: '2' },
      });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await Promise.all(backends.map((x) => x.close()));
    });

    const get = async (n: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${golb.url}/function/f/x`);
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      return statuses;
    };

    test('both pods healthy share the traffic; probes reach /health', async () => {
      await Promise.all([a.answer(200, 1), b.answer(200, 1)]);
      const [ta, tb] = [a.traffic(), b.traffic()];
      assert.deepEqual(await get(10), Array(10).fill(200));
      assert.equal(a.traffic() - ta, 5);
      assert.equal(b.traffic() - tb, 5);
      assert.doesNotMatch(golb.output(), /not in effect.*healthPath/);
    });

    test('a pod whose health check fails is taken out, and comes back when it passes', async () => {
      await b.answer(500, 2);
      const tb = b.traffic();
      assert.deepEqual(await get(20), Array(20).fill(200));
      assert.equal(b.traffic(), tb, 'no traffic reached the failing pod');
      assert.match(golb.output(), new RegExp(`taken out backend=${b.backend.address}`));

      await b.answer(200, 1);
      const tb2 = b.traffic();
      assert.deepEqual(await get(20), Array(20).fill(200));
      assert.ok(b.traffic() - tb2 >= 5, 'the pod gets traffic again');
      assert.match(golb.output(), new RegExp(`back in backend=${b.backend.address}`));
    });

    test('every pod failing its checks: 503 JSON at once', async () => {
      await Promise.all([a.answer(500, 2), b.answer(503, 2)]);
      const [ta, tb] = [a.traffic(), b.traffic()];
      const r = await fetch(`${golb.url}/function/f/x`);
      assert.equal(r.status, 503);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      const body = (await r.json()) as { error: string; function: string };
      assert.deepEqual([body.error, body.function], ['no_backend', 'f']);
      assert.equal(a.traffic() + b.traffic(), ta + tb, 'no pod was tried');
      await Promise.all([a.answer(200, 1), b.answer(200, 1)]);
      assert.deepEqual(await get(4), [200, 200, 200, 200]);
    });
  });
}
