/**
 * `/metrics`, `/1/lb/stats` and the access log end to end on each runtime:
 * the counters match the requests the test sent (a scrape may be up to a
 * second old), `promtool check metrics` accepts the document, and each
 * proxied request writes one access-log line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitUntil } from '../support/wait.ts';
import { samples } from '../support/process-figures.ts';
import { VERSION } from '../../app/version.ts';

const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
/** How long the dripping backend pauses before its last body bytes. */
const DRIP_MS = 400;
const NO_PROMTOOL = 'promtool is not installed (Debian package prometheus; `npm test` installs it when apt-get can)';


interface StatsDoc {
  stats: { timestamp: string; tp: number; node: string; func: string; wait: number }[];
  functions: { func: string; requests: number; backendsTotal: number; truncated: boolean; backends: { node: string; weight: number; up: boolean; requests: number; p50: number | null; p99: number | null }[] }[];
}

for (const runtime of RUNTIMES) {
  describe(`metrics, stats and access log on ${runtime}`, () => {
    let pod: Backend;
    let lost: Backend;
    let drip: Backend;
    let dead: string;
    let golb: GolbProcess;

    before(async () => {
      pod = await startBackend();
      lost = await startBackend((_req, res) => {
        res.statusCode = 404;
        res.end('no such thing');
      });
      // Answers its head and first bytes at once, the rest after a pause.
      drip = await startBackend((_req, res) => {
        res.setHeader('content-length', '10');
        res.write('first');
        setTimeout(() => res.end('-last'), DRIP_MS);
      });
      dead = `127.0.0.1:${await freePort()}`;
      golb = await startGolb(runtime, {
        weights: { f: { ips: [pod.address], weights: [1] }, r: { ips: [dead, pod.address], weights: [1, 1] }, g: { ips: [lost.address], weights: [1] }, d: { ips: [drip.address], weights: [1] } },
        env: { eb_go_lb_mode: 'prod' },
        args: ['--access-log'],
      });
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${golb.url}/function/f/x?i=${i}`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      const missing = await fetch(`${golb.url}/function/nope/`);
      assert.equal(missing.status, 404);
      await missing.arrayBuffer();
    });
    after(async () => {
      assert.equal(await golb.stop(), 0);
      await Promise.all([pod.close(), lost.close(), drip.close()]);
    });

    const accessLines = () =>
      golb
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'access');

    const scrape = async () => {
      const res = await fetch(`${golb.url}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      return res.text();
    };

    test('counters match the requests sent: 7 answered by the pod, 1 unknown function rejected', async () => {
      const m = samples(await scrape());
      const fb = `function="f",backend="${pod.address}"`;
      assert.equal(m.get(`golb_requests_total{${fb},code="2xx"}`), 7);
      assert.equal(m.get('golb_request_duration_seconds_count{function="f"}'), 7);
      assert.equal(m.get('golb_request_duration_seconds_bucket{function="f",le="+Inf"}'), 7);
      assert.equal(m.get('golb_rejected_total{error="unknown_function"}'), 1);
      assert.equal(m.get(`golb_backend_up{backend="${pod.address}"}`), 1);
      assert.equal(m.get(`golb_backend_in_flight{backend="${pod.address}"}`), 0);
      assert.equal(m.get(`golb_backend_weight{${fb}}`), 1);
      assert.equal(m.get('golb_functions'), 4);
      assert.equal(m.get('golb_source_connected{source="embedded"}'), 1);
      assert.equal(m.get('golb_source_values_refused_total{source="embedded"}'), 0);
      assert.ok(m.get('process_resident_memory_bytes')! > 0);
      assert.ok(m.get('process_cpu_seconds_total')! > 0);
      assert.ok(Math.abs(m.get('process_start_time_seconds')! - Date.now() / 1000) < 3600);
    });

    test('a backend that refuses connections: upstream error and retry counted, the request answered by the other', async () => {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${golb.url}/function/r/`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      // A scrape may be up to a second old (built once a second, routes/metrics.ts): wait for one that has these requests.
      const m = await waitUntil('a scrape that counts the 4 requests', 10_000, async () => {
        const m = samples(await scrape());
        return m.get(`golb_requests_total{function="r",backend="${pod.address}",code="2xx"}`) === 4 ? m : undefined;
      });
      const errors = m.get(`golb_upstream_errors_total{function="r",backend="${dead}",failure="connect"}`) ?? 0;
      assert.ok(errors >= 1, 'the refused connection is counted');
      assert.equal(m.get('golb_retries_total{function="r"}'), errors, 'each failure was retried on the other backend');
      assert.equal(m.get(`golb_requests_total{function="r",backend="${pod.address}",code="2xx"}`), 4);
    });

    test('exact status codes per function, upstream connections busy and idle, build info, descriptors', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${golb.url}/function/g/missing`);
        assert.equal(res.status, 404);
        await res.arrayBuffer();
      }
      // A scrape may be up to a second old: wait for one built after these requests.
      const m = await waitUntil("a scrape that counts the backend's 404s", 10_000, async () => {
        const m = samples(await scrape());
        return m.get('golb_responses_total{function="g",code="404"}') === 2 ? m : undefined;
      });
      assert.equal(m.get('golb_responses_total{function="f",code="200"}'), 7, "the pod's 200s, by exact code");
      assert.equal(m.get('golb_responses_total{code="404"}'), 1, "golb's own 404 for a name it does not know: no function label");
      assert.equal(m.get(`golb_requests_total{function="g",backend="${lost.address}",code="4xx"}`), 2, 'the classes stay');
      assert.equal(m.get('golb_upstream_connections{state="busy"}'), 0, 'nothing in flight');
      assert.ok(m.get('golb_upstream_connections{state="idle"}')! >= 2, "the pods' keep-alive connections wait in the pool");
      assert.ok(m.get('golb_connections_open{listener="traffic"}')! >= 1);
      assert.equal(m.get(`golb_build_info{version="${VERSION}",runtime="${runtime}"}`), 1);
      const open = m.get('process_open_fds')!;
      assert.ok(open >= 5, `open descriptors: ${open}`);
      assert.ok(m.get('process_max_fds')! >= open);
    });

    test('promtool check metrics accepts the document', { skip: promtool ? false : NO_PROMTOOL }, async () => {
      const text = await scrape();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });

    test("/1/lb/stats: fnlb's entries add up to the requests sent; p50/p99, weight and health per backend", async () => {
      const res = await fetch(`${golb.url}/1/lb/stats`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as StatsDoc;
      const entries = doc.stats.filter((s) => s.func === 'f');
      assert.equal(entries.reduce((n, s) => n + s.tp, 0), 7);
      for (const s of entries) {
        assert.equal(s.node, pod.address);
        assert.ok(!Number.isNaN(Date.parse(s.timestamp)) && s.wait > 0);
      }
      const f = doc.functions.find((x) => x.func === 'f')!;
      assert.equal(f.requests, 7);
      const [b] = f.backends;
      assert.equal(b!.node, pod.address);
      assert.equal(b!.weight, 1);
      assert.equal(b!.up, true);
      assert.equal(b!.requests, 7);
      assert.ok(b!.p50! > 0 && b!.p99! >= b!.p50!);
    });

    test('/1/lb/stats?since= keeps newer entries only; a bad value is a 400 JSON error', async () => {
      const future = Math.floor(Date.now() / 1000) + 3600;
      const later = (await (await fetch(`${golb.url}/1/lb/stats?since=${future}`)).json()) as StatsDoc;
      assert.deepEqual(later.stats, []);
      assert.equal(later.functions.find((x) => x.func === 'f')!.requests, 7);
      const bad = await fetch(`${golb.url}/1/lb/stats?since=yesterday`);
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: string }).error, 'bad_request');
    });

    test('/1/lb/stats?function= shows one function, every backend listed; framed by its length; 404 for an unknown one', async () => {
      const res = await fetch(`${golb.url}/1/lb/stats?function=r`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)));
      const doc = JSON.parse(text) as StatsDoc;
      assert.deepEqual(doc.functions.map((f) => [f.func, f.backends.length, f.backendsTotal, f.truncated]), [['r', 2, 2, false]]);
      assert.ok(doc.stats.every((s) => s.func === 'r'));
      const unknown = await fetch(`${golb.url}/1/lb/stats?function=nope`);
      assert.equal(unknown.status, 404);
      await unknown.arrayBuffer();
    });

    test("request id: the client's sane X-Request-Id is kept, else golb makes one; the backend gets it, the client gets it back, the access line has it", async () => {
      const ask = async (headers: Record<string, string>) => {
        const res = await fetch(`${golb.url}/function/f/id`, { headers });
        const seen = (await res.json()) as { headers: Record<string, string> };
        return { answered: res.headers.get('x-request-id'), backend: seen.headers['x-request-id'] };
      };
      assert.deepEqual(await ask({ 'x-request-id': 'client-id-42' }), { answered: 'client-id-42', backend: 'client-id-42' });
      const made = await ask({});
      assert.match(made.answered ?? '', /^[0-9a-z]{8}-[0-9a-z]+$/);
      assert.equal(made.backend, made.answered);
      const next = await ask({});
      assert.notEqual(next.answered, made.answered, 'one id per request');
      assert.equal(next.answered!.split('-')[0], made.answered!.split('-')[0], 'the same process prefix');
      const long = await ask({ 'x-request-id': 'x'.repeat(201) });
      assert.match(long.answered ?? '', /^[0-9a-z]{8}-[0-9a-z]+$/, 'an id over 200 bytes is replaced');
      assert.equal(long.backend, long.answered);
      // golb's own answer carries it too.
      const missing = await fetch(`${golb.url}/function/nope/`, { headers: { 'x-request-id': 'lost-1' } });
      await missing.arrayBuffer();
      assert.equal(missing.headers.get('x-request-id'), 'lost-1');
      const line = await waitUntil('the access line of the client id', 10_000, () => accessLines().find((l) => l.requestId === 'client-id-42'));
      assert.equal(line.path, '/function/f/id');
      await waitUntil('the access line of the id golb made', 10_000, () => accessLines().find((l) => l.requestId === made.answered));
      await waitUntil("the access line of golb's 404", 10_000, () => accessLines().find((l) => l.requestId === 'lost-1' && l.status === 404));
    });

    test('access log: the line is written when the body ends, with its bytes and the time to the last byte', async () => {
      const res = await fetch(`${golb.url}/function/d/`);
      assert.equal(await res.text(), 'first-last');
      const id = res.headers.get('x-request-id');
      const line = await waitUntil('the access line of the dripped answer', 10_000, () => accessLines().find((l) => l.requestId === id));
      assert.deepEqual([line.status, line.bytes, line.backend, line.aborted], [200, 10, drip.address, undefined]);
      assert.ok((line.durationMs as number) >= DRIP_MS - 50, `the whole time covers the body: ${String(line.durationMs)} ms`);
      assert.ok((line.headMs as number) < (line.durationMs as number) - DRIP_MS / 2, `the head came first: ${String(line.headMs)} ms`);
    });

    test('access log: one JSON line per proxied request, with client, method, path, function, backend, status, duration', async () => {
      const access = accessLines;
      await waitUntil('the access lines', 10_000, () => (access().filter((l) => l.function === 'f' && String(l.path).startsWith('/function/f/x')).length >= 7 ? true : undefined));
      const f = access().filter((l) => l.function === 'f' && String(l.path).startsWith('/function/f/x'));
      assert.equal(f.length, 7);
      assert.deepEqual(
        f.map((l) => l.path),
        [0, 1, 2, 3, 4, 5, 6].map((i) => `/function/f/x?i=${i}`),
      );
      for (const l of f) {
        assert.equal(l.level, 'info');
        assert.equal(l.client, '127.0.0.1');
        assert.equal(l.method, 'GET');
        assert.equal(l.backend, pod.address);
        assert.equal(l.status, 200);
        assert.ok(typeof l.durationMs === 'number' && l.durationMs >= 0);
        assert.ok(typeof l.headMs === 'number' && l.headMs <= l.durationMs);
        assert.equal(typeof l.bytes, 'number');
        assert.match(String(l.requestId), /^[0-9a-z]{8}-[0-9a-z]+$/);
        assert.ok(!Number.isNaN(Date.parse(String(l.time))));
      }
      const nope = access().find((l) => l.function === 'nope');
      assert.deepEqual({ status: nope?.status, backend: nope?.backend }, { status: 404, backend: '-' });
      assert.doesNotMatch(golb.output(), /not in effect/);
    });
  });
}
