/**
 * The strategies end to end on each runtime: chosen per function by the value's
 * `"strategy"` field and globally by `eb_go_lb_handler_type`, against real
 * backends. Held requests (answered only when the test releases them) make the
 * in-flight counts exact, so nothing here depends on timing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';

/** A backend that holds `/hold` requests until released and answers the others after `delayMs`. */
async function holdingBackend(held: ServerResponse[], delayMs = 0): Promise<Backend> {
  const b: Backend = await startBackend((req, res) => {
    if (req.url === '/hold') return void held.push(res);
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ port: b.port }));
    }, delayMs);
  });
  return b;
}

async function portOf(url: string): Promise<number> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return ((await r.json()) as { port: number }).port;
}

for (const runtime of RUNTIMES) {
  describe(`strategies on ${runtime}`, () => {
    const held: ServerResponse[] = [];
    let bs: Backend[];
    let slow: Backend;
    let quick: Backend;
    let lagging: Backend;
    let prompt: Backend;
    let golb: GolbProcess;

    before(async () => {
      bs = await Promise.all([holdingBackend(held), holdingBackend(held), holdingBackend(held)]);
      [slow, quick] = await Promise.all([holdingBackend(held, 1000), holdingBackend(held)]);
      [lagging, prompt] = await Promise.all([holdingBackend(held, 50), holdingBackend(held)]);
      const lag = [lagging.address, prompt.address];
      const [a, b, c] = bs.map((x) => x.address);
      golb = await startGolb(runtime, {
        env: { eb_go_lb_handler_type: 'chash' },
        weights: {
          sticky: { ips: [a, b, c], weights: [1, 1, 1] }, // the global strategy: chash
          rotating: { ips: [a, b, c], weights: [1, 1, 1], strategy: 'wrr' },
          least: { ips: [a, b], weights: [1, 1], strategy: 'p2c' },
          fast: { ips: [slow.address, quick.address], weights: [1, 1], strategy: 'ewma' },
          'lag-wrr': { ips: lag, weights: [1, 1], strategy: 'wrr' },
          'lag-p2c': { ips: lag, weights: [1, 1], strategy: 'p2c' },
          'lag-ewma': { ips: lag, weights: [1, 1], strategy: 'ewma' },
        },
      });
    });
    after(async () => {
      for (const res of held.splice(0)) res.end();
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await Promise.all([...bs, slow, quick, lagging, prompt].map((b) => b.close()));
    });

    /** Sends `n` held requests to `fn`, waits until the backends hold them all, returns each backend's count. */
    async function holdMany(fn: string, n: number): Promise<{ counts: number[]; done: Promise<unknown> }> {
      const before = bs.map((b) => b.seen.length);
      const done = Promise.all(Array.from({ length: n }, () => fetch(`${golb.url}/function/${fn}/hold`).then((r) => r.arrayBuffer())));
      await waitUntil(`${n} held requests`, 20_000, () => (held.length === n ? true : undefined));
      return { counts: bs.map((b, i) => b.seen.length - before[i]!), done };
    }

    function release(): void {
      for (const res of held.splice(0)) {
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      }
    }

    test('eb_go_lb_handler_type=chash: one request at a time, a function stays on one backend', async () => {
      const ports = new Set<number>();
      for (let i = 0; i < 12; i++) ports.add(await portOf(`${golb.url}/function/sticky/x`));
      assert.equal(ports.size, 1);
    });

    test('a value\'s "strategy": "wrr" overrides the global chash', async () => {
      const ports = new Set<number>();
      for (let i = 0; i < 6; i++) ports.add(await portOf(`${golb.url}/function/rotating/x`));
      assert.equal(ports.size, 3);
    });

    test('chash: 8 concurrent held requests spread, none past ceil(1.25 × 8 / 3) = 4', async () => {
      const { counts, done } = await holdMany('sticky', 8);
      release();
      await done;
      assert.ok(counts.filter((c) => c > 0).length >= 2, `counts ${counts}`);
      assert.ok(Math.max(...counts) <= 4, `counts ${counts}`);
    });

    test('p2c: 6 concurrent held requests on two backends are split 3 and 3', async () => {
      const { counts, done } = await holdMany('least', 6);
      release();
      await done;
      assert.deepEqual(counts, [3, 3, 0]);
    });

    test('ewma: once both backends have answered, the slow one (1 s) gets nothing more', async () => {
      // A backend never sampled competes on load alone, so each gets tried; then latency decides.
      const seen = new Set<number>();
      for (let i = 0; i < 30 && seen.size < 2; i++) seen.add(await portOf(`${golb.url}/function/fast/x`));
      assert.equal(seen.size, 2);
      const after: number[] = [];
      for (let i = 0; i < 6; i++) after.push(await portOf(`${golb.url}/function/fast/x`));
      assert.deepEqual(after, Array(6).fill(quick.port));
    });

    /** 8 clients, each sending `perClient` requests one after another; how many the lagging pod answered. */
    async function laggingShare(fn: string, perClient: number): Promise<number> {
      const clients = Array.from({ length: 8 }, async () => {
        let lagged = 0;
        for (let i = 0; i < perClient; i++) if ((await portOf(`${golb.url}/function/${fn}/x`)) === lagging.port) lagged++;
        return lagged;
      });
      return (await Promise.all(clients)).reduce((a, b) => a + b, 0);
    }

    test('a pod 50 ms slower: wrr still gives it half, p2c and ewma clearly fewer (8 concurrent clients)', async () => {
      const total = 8 * 10;
      assert.equal(await laggingShare('lag-wrr', 10), total / 2, 'wrr follows the weights whatever the latency');
      const p2c = await laggingShare('lag-p2c', 10);
      const ewma = await laggingShare('lag-ewma', 10);
      // Equal weights: half each without feedback. In-flight (p2c) and latency (ewma) keep the slow pod well under that.
      assert.ok(p2c < total * 0.35, `p2c sent ${p2c} of ${total} to the slower pod`);
      assert.ok(ewma < total * 0.35, `ewma sent ${ewma} of ${total} to the slower pod`);
    });
  });
}
