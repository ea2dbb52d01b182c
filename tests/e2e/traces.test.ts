/**
 * The trace stream (`GET /1/lb/traces`) end to end on each runtime: one line
 * per finished request with its fields, `?function=` and `?sample=`, several
 * readers at once, a reader that stops reading (the proxy keeps answering at
 * once, the lost lines are counted in `/metrics` and told in the stream when
 * it reads again), and the stream's clean end at shutdown. The token rule of
 * management reads, and the answers to bad parameters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';
import { openTraces } from '../support/trace-stream.ts';

/** GET through a keep-alive agent; resolves status, body and the time it took. */
function call(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, ms: performance.now() - started }));
    })
      .on('error', reject)
      .end();
  });
}

/** `n` calls, `parallel` at a time. */
async function calls(n: number, parallel: number, one: (i: number) => Promise<{ status: number; ms: number }>): Promise<{ status: number; ms: number }[]> {
  const out: { status: number; ms: number }[] = [];
  for (let i = 0; i < n; i += parallel) out.push(...(await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, (_, k) => one(i + k)))));
  return out;
}

async function droppedTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^golb_trace_lines_dropped_total (\d+)$/m.exec(text);
  assert.ok(m !== null, 'golb_trace_lines_dropped_total is exposed');
  return Number(m[1]);
}

const idsOf = (lines: Record<string, unknown>[], prefix: string) => lines.map((l) => String(l.requestId)).filter((id) => id.startsWith(prefix));

for (const runtime of RUNTIMES) {
  describe(`the trace stream on ${runtime}`, () => {
    let pod: Backend;
    let golb: GolbProcess;
    let agent: Agent;
    const node = `tr-${runtime}`;

    before(async () => {
      pod = await startBackend();
      const dead = `127.0.0.1:${await freePort()}`;
      golb = await startGolb(runtime, {
        env: { eb_go_lb_node_name: node, eb_go_lb_zone: 'zone-1', eb_go_lb_max_hops: '64' },
        weights: { f: { ips: [pod.address], weights: [1] }, g: { ips: [pod.address], weights: [1] }, r: { ips: [dead, pod.address], weights: [1, 1] } },
      });
      agent = new Agent({ keepAlive: true, maxSockets: 8 });
    });
    after(async () => {
      agent.destroy();
      await golb.stop();
      await pod.close();
    });

    test('N requests give N lines with their fields, to each of two readers; the first line says what the stream is', async () => {
      const [a, b] = await Promise.all([openTraces(golb.url), openTraces(golb.url)]);
      assert.equal(a.res.statusCode, 200);
      assert.equal(a.res.headers['content-type'], 'application/x-ndjson');
      assert.deepEqual(a.all()[0], { stream: 'traces', node, zone: 'zone-1', sample: 1, function: null });
      const startedAt = Date.now();
      const bodies = new Map<string, number>();
      for (let i = 0; i < 20; i++) {
        const res = await call(agent, `${golb.url}/function/f/x?i=${i}`, { 'x-request-id': `n-${i}` });
        assert.equal(res.status, 200);
        bodies.set(`n-${i}`, Buffer.byteLength(res.body));
      }
      const missing = await call(agent, `${golb.url}/function/nope/`, { 'x-request-id': 'n-404' });
      assert.equal(missing.status, 404);
      for (const s of [a, b]) await waitUntil('21 lines', 10_000, () => (idsOf(s.lines(), 'n-').length >= 21 ? true : undefined));
      for (const s of [a, b]) {
        const lines = s.lines().filter((l) => String(l.requestId).startsWith('n-'));
        assert.deepEqual(lines.map((l) => l.requestId), [...bodies.keys(), 'n-404'], 'one line per request, in order');
        for (const l of lines.slice(0, 20)) {
          assert.equal(l.function, 'f');
          assert.equal(l.backend, pod.address);
          assert.equal(l.node, node);
          assert.equal(l.zone, 'zone-1');
          assert.equal(l.status, 200);
          assert.equal(l.bytes, bodies.get(String(l.requestId)));
          assert.deepEqual(l.hops, [node]);
          assert.equal(l.retries, 0);
          assert.equal(l.forwarded, false);
          assert.equal(l.gateway, false);
          const [connect, head, total] = [l.connectMs, l.firstByteMs, l.totalMs] as number[];
          assert.ok(connect! >= 0 && head! >= 0 && head! <= total! && total! < 10_000, JSON.stringify(l));
          const time = Date.parse(String(l.time));
          assert.ok(time >= startedAt - 1000 && time <= Date.now(), String(l.time));
        }
        assert.ok(lines.slice(1, 20).some((l) => l.connectMs === 0), 'a reused keep-alive connection connects in 0 ms');
        const notFound = lines[20]!;
        assert.equal(notFound.function, 'nope');
        assert.equal(notFound.status, 404);
        assert.equal(notFound.backend, '-');
      }
      a.close();
      b.close();
    });

    test('?function= gives that function alone', async () => {
      const [all, onlyG] = await Promise.all([openTraces(golb.url), openTraces(golb.url, '?function=g')]);
      assert.deepEqual(onlyG.all()[0], { stream: 'traces', node, zone: 'zone-1', sample: 1, function: 'g' });
      for (let i = 0; i < 5; i++) {
        assert.equal((await call(agent, `${golb.url}/function/f/?i=${i}`, { 'x-request-id': `fn-f-${i}` })).status, 200);
        assert.equal((await call(agent, `${golb.url}/function/g/?i=${i}`, { 'x-request-id': `fn-g-${i}` })).status, 200);
      }
      await waitUntil('10 lines to the reader of all', 10_000, () => (idsOf(all.lines(), 'fn-').length >= 10 ? true : undefined));
      await waitUntil('5 lines to the reader of g', 10_000, () => (idsOf(onlyG.lines(), 'fn-').length >= 5 ? true : undefined));
      assert.deepEqual(idsOf(onlyG.lines(), 'fn-'), [0, 1, 2, 3, 4].map((i) => `fn-g-${i}`));
      all.close();
      onlyG.close();
    });

    test('?sample=0.5 gives about half the lines', async () => {
      const [all, half] = await Promise.all([openTraces(golb.url), openTraces(golb.url, '?sample=0.5')]);
      const n = 400;
      const answered = await calls(n, 8, (i) => call(agent, `${golb.url}/function/f/`, { 'x-request-id': `s-${i}` }));
      assert.ok(answered.every((r) => r.status === 200));
      await waitUntil(`${n} lines unsampled`, 15_000, () => (idsOf(all.lines(), 's-').length >= n ? true : undefined));
      // The sampled reader's last batch is flushed with the other's: give it the same moment.
      await new Promise((r) => setTimeout(r, 200));
      const got = idsOf(half.lines(), 's-').length;
      // Binomial(400, 0.5): sd 10; 120..280 is 8 sd either side.
      assert.ok(got >= 120 && got <= 280, `sampled ${got} of ${n}`);
      all.close();
      half.close();
    });

    test('a retried request says so: its retries and the backend that answered', async () => {
      const s = await openTraces(golb.url, '?function=r');
      for (let i = 0; i < 4; i++) assert.equal((await call(agent, `${golb.url}/function/r/`, { 'x-request-id': `r-${i}` })).status, 200);
      await waitUntil('4 lines', 10_000, () => (idsOf(s.lines(), 'r-').length >= 4 ? true : undefined));
      const retried = s.lines().filter((l) => l.retries === 1);
      assert.ok(retried.length >= 1, JSON.stringify(s.lines()));
      assert.equal(retried[0]!.backend, pod.address);
      assert.equal(retried[0]!.status, 200);
      s.close();
    });

    test('a reader that stops reading: requests are still answered promptly, the lost lines are counted and told once it reads again', async () => {
      const slow = await openTraces(golb.url);
      slow.res.pause();
      const droppedBefore = await droppedTotal(golb.url);
      // Long lines (a 30-entry Via, a 200-byte id: about 8 KB each) fill the socket's buffers and the reader's queue quickly.
      const via = Array.from({ length: 30 }, (_, i) => `1.1 ${'h'.repeat(250)}-${i}`).join(', ');
      const id = 'i'.repeat(196);
      const n = 2000;
      const answered = await calls(n, 8, (i) => call(agent, `${golb.url}/function/f/`, { via, 'x-request-id': `${id}${String(i).padStart(4, '0')}` }));
      assert.ok(answered.every((r) => r.status === 200));
      const slowest = Math.max(...answered.map((r) => r.ms));
      const sorted = answered.map((r) => r.ms).sort((x, y) => x - y);
      assert.ok(slowest < 3000 && sorted[n >> 1]! < 200, `median ${sorted[n >> 1]!.toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms`);
      const dropped = await waitUntil('dropped lines in /metrics', 10_000, async () => {
        const d = (await droppedTotal(golb.url)) - droppedBefore;
        return d > 0 ? d : undefined;
      });
      slow.res.resume();
      await waitUntil('the dropped line in the stream', 15_000, () => (slow.all().some((l) => 'dropped' in l) ? true : undefined));
      const told = slow.all().reduce((sum, l) => sum + ('dropped' in l ? Number(l.dropped) : 0), 0);
      assert.ok(told > 0 && told <= dropped, `told ${told}, counted ${dropped}`);
      const delivered = slow.lines().filter((l) => String(l.requestId).startsWith(id)).length;
      assert.equal(delivered + told, n, 'every line is either delivered or counted as lost');
      // The stream goes on after the loss.
      assert.equal((await call(agent, `${golb.url}/function/f/`, { 'x-request-id': 'after-the-loss' })).status, 200);
      await waitUntil('a line after the loss', 10_000, () => (slow.lines().some((l) => l.requestId === 'after-the-loss') ? true : undefined));
      const hops = slow.lines().find((l) => String(l.requestId).startsWith(id))!.hops as string[];
      assert.equal(hops.length, 31);
      assert.equal(hops.at(-1), node);
      slow.close();
    });

    test('bad parameters are 400 with the JSON error; the stream ends cleanly at shutdown and golb exits at once', async () => {
      for (const query of ['?sample=0', '?sample=1.5', '?sample=half', '?function=a%2fb']) {
        const res = await fetch(`${golb.url}/1/lb/traces${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(((await res.json()) as { error: string }).error, 'bad_request');
      }
      const s = await openTraces(golb.url);
      const stoppedAt = Date.now();
      const code = await golb.stop();
      assert.equal(await s.ended, 'end', 'the chunked stream ended, not cut');
      assert.equal(code, 0);
      assert.ok(Date.now() - stoppedAt < 10_000, 'the open stream did not hold the drain');
    });
  });
}

describe('the trace stream follows the token rule of management reads', () => {
  let golb: GolbProcess;
  before(async () => {
    golb = await startGolb('node', { env: { eb_go_lb_admin_token: 'trace-token', eb_go_lb_protect_reads: 'true' }, weights: {} });
  });
  after(async () => {
    assert.equal(await golb.stop(), 0);
  });

  test('401 without the token, the stream with it', async () => {
    const refused = await fetch(`${golb.url}/1/lb/traces`);
    assert.equal(refused.status, 401);
    await refused.arrayBuffer();
    const s = await openTraces(golb.url, '', { authorization: 'Bearer trace-token' });
    assert.equal(s.res.statusCode, 200);
    await waitUntil('the first line', 5_000, () => (s.all().length > 0 ? true : undefined));
    assert.equal(s.all()[0]!.stream, 'traces');
    s.close();
  });
});
