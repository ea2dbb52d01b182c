/**
 * `GET /1/lb/load` without etcd, on each runtime: the latest load report under
 * the read rules of `/metrics` (here `eb_go_lb_protect_reads`: the admin token),
 * counting exactly the requests sent; 503 `no_report` before the first report
 * and when reports are off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';
import type { LoadReport } from '../../app/load/report.ts';

const TOKEN = 'load-route-token';
const INTERVAL_S = 2;
const SLACK_MS = 5_000;
const SENT = 20;

let pod: Backend;
before(async () => {
  pod = await startBackend();
});
after(async () => {
  await pod.close();
});

const weights = () => ({ echo: { ips: [pod.address], weights: [1] } });

async function load(url: string, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${url}/1/lb/load`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

for (const runtime of RUNTIMES) {
  describe(`GET /1/lb/load on ${runtime}`, () => {
    let golb: GolbProcess;
    /** Every distinct report the poller saw, in order. */
    const reports: LoadReport[] = [];
    let polling = true;
    let poller: Promise<void>;

    before(async () => {
      golb = await startGolb(runtime, {
        weights: weights(),
        env: { eb_go_lb_load_report_interval: String(INTERVAL_S), eb_go_lb_admin_token: TOKEN, eb_go_lb_protect_reads: 'true', eb_go_lb_node_name: `load-${runtime}` },
      });
      poller = (async () => {
        while (polling) {
          const r = await load(golb.url).catch(() => undefined);
          const report = r?.status === 200 ? (r.body as unknown as LoadReport) : undefined;
          if (report !== undefined && report.time !== reports.at(-1)?.time) reports.push(report);
          await new Promise((res) => setTimeout(res, 100));
        }
      })();
    });
    after(async () => {
      polling = false;
      await poller;
      assert.equal(await golb.stop(), 0);
    });

    test('the read rules of /metrics: without the admin token 401, with it the report', async () => {
      const refused = await load(golb.url, null);
      assert.equal(refused.status, 401);
      const first = await waitUntil('the first report', INTERVAL_S * 1000 + SLACK_MS, () => reports[0]);
      assert.deepEqual([first.schema, first.zone, first.node, first.part], [1, 'local', `load-${runtime}`, undefined]);
      assert.equal(typeof first.windowMs, 'number');
    });

    test('a report counts exactly the requests sent', async () => {
      const before = reports.length;
      await waitUntil('a fresh report', INTERVAL_S * 1000 + SLACK_MS, () => (reports.length > before ? true : undefined));
      const first = reports.length;
      for (let i = 0; i < SENT; i++) {
        const r = await fetch(`${golb.url}/function/echo/n${i}`);
        assert.equal(r.status, 200);
        await r.arrayBuffer();
      }
      const sentBy = Date.now();
      const windows = await waitUntil('a report ending after the last request', INTERVAL_S * 1000 + SLACK_MS, () => {
        const seen = reports.slice(first);
        const last = seen.findIndex((r) => Date.parse(r.time) >= sentBy);
        return last < 0 ? undefined : seen.slice(0, last + 1);
      });
      // No report missed between them: each window starts where the one before ended.
      for (let i = 1; i < windows.length; i++) {
        const gap = Date.parse(windows[i]!.time) - Date.parse(windows[i - 1]!.time);
        assert.ok(Math.abs(gap - windows[i]!.windowMs) < 50, `consecutive reports: ${gap} ms apart, window ${windows[i]!.windowMs} ms`);
      }
      const sum = (pick: (r: LoadReport) => number | undefined) => windows.reduce((n, r) => n + (pick(r) ?? 0), 0);
      assert.equal(sum((r) => r.functions.echo?.requests), SENT);
      assert.equal(sum((r) => r.functions.echo?.backends[pod.address]?.requests), SENT);
      for (const r of windows) if (r.functions.echo !== undefined) assert.equal(r.functions.echo.weightsRevision, null, 'weights from the file');
    });
  });
}

describe('GET /1/lb/load before the first report, and with reports off', () => {
  // The answer is the management app's, the same on every runtime: one runtime suffices.
  test('503 no_report, saying why', async () => {
    const late = await startGolb('bun', { weights: weights(), env: { eb_go_lb_load_report_interval: '60' } });
    const off = await startGolb('bun', { weights: weights(), env: { eb_go_lb_load_report_interval: '0' } });
    try {
      const notYet = await load(late.url, null);
      assert.equal(notYet.status, 503);
      assert.equal(notYet.body.error, 'no_report');
      assert.match(String(notYet.body.message), /no load report yet: the first is built 60 s after start/);
      const none = await load(off.url, null);
      assert.equal(none.status, 503);
      assert.equal(none.body.error, 'no_report');
      assert.match(String(none.body.message), /load reports are off \(eb_go_lb_load_report_interval is 0\)/);
    } finally {
      await Promise.all([late.stop(), off.stop()]);
    }
  });
});
