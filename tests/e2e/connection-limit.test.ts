/**
 * The connection cap (`--max-connections`) on each runtime, over real
 * sockets: with the traffic listener full of idle connections, a new one is
 * closed at once with no answer and counted in `/metrics`; a burst of such
 * connections costs golb little CPU (a coarse check that nothing spins);
 * once some close, requests are proxied again. The management listener has a
 * cap of its own, so a full traffic listener leaves it reachable, and the
 * other way round.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { RawClient, rawExchange } from '../support/raw-http.ts';
import { waitUntil } from '../support/wait.ts';
import { cpuSeconds, samples } from '../support/process-figures.ts';

/** The cap golb runs with: small, so filling it is cheap. */
const CAP = 20;
/** Connections attempted past the cap while golb's CPU is measured. */
const BURST = 500;
/** Of them, this many at once (well under any listen backlog). */
const BURST_WIDTH = 50;
/** The shortest window over which golb's CPU is measured. */
const CPU_WINDOW_MS = 2_000;
/** Generous waits: other suites run on the same two cores. */
const WAIT_MS = 20_000;



const request = (path: string, close = false): string => `GET ${path} HTTP/1.1\r\nHost: gw\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/**
 * `n` connections, each shown admitted by an answer to one request, then left
 * open and idle. A connection refused is tried again: golb may not have seen
 * yet that the test's last connection (a scrape) closed.
 */
async function openIdle(port: number, n: number, path: string): Promise<RawClient[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      waitUntil(`an idle connection admitted (${path})`, WAIT_MS, async () => {
        const c = await RawClient.connect(port);
        c.write(request(path));
        if ((await c.response({ timeoutMs: WAIT_MS }))?.status === 200) return c;
        c.close();
        return undefined;
      }),
    ),
  );
}

/** Connects and waits for golb to close the connection; true when it did (with nothing sent) within the wait. */
function refusedAtOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let bytes = 0;
    const timer = setTimeout(() => socket.destroy(), WAIT_MS);
    let closedByPeer = false;
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('end', () => (closedByPeer = true));
    socket.on('error', () => (closedByPeer = true)); // a reset
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(closedByPeer && bytes === 0);
    });
  });
}

let backend: Backend;
const golbs = new Map<string, { golb: GolbProcess; mgmtPort: number }>();

before(async () => {
  backend = await startBackend();
  await Promise.all(
    RUNTIMES.map(async (runtime) => {
      const mgmtPort = await freePort();
      // Readiness is checked over connections that close, so no keep-alive connection of the test's fetch holds a slot.
      const golb = await startGolb(runtime, {
        weights: { echo: { ips: [backend.address], weights: [1] } },
        args: ['--max-connections', String(CAP), '--mgmt-listen', `127.0.0.1:${mgmtPort}`],
        waitReady: false,
      });
      golbs.set(runtime, { golb, mgmtPort });
      await waitUntil(`golb on ${runtime} ready`, 30_000, async () => ((await rawExchange(golb.port, request('/readyz', true)))?.status === 200 ? true : undefined));
    }),
  );
});

after(async () => {
  const codes = await Promise.all([...golbs.values()].map(({ golb }) => golb.stop()));
  await backend.close();
  assert.deepEqual(codes, codes.map(() => 0), 'every golb exits 0 on SIGTERM');
});

describe('the connection cap', { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    test(`on ${runtime}: past ${CAP} connections new ones are closed at once and counted, cheaply, and served again once some close`, async (t) => {
      const { golb, mgmtPort } = golbs.get(runtime)!;
      const metrics = async (): Promise<Map<string, number>> => {
        const res = await rawExchange(mgmtPort, request('/metrics', true), { timeoutMs: WAIT_MS });
        assert.equal(res?.status, 200, 'a scrape of the management listener');
        return samples(res.body.toString());
      };
      const traffic = 'listener="traffic"';
      assert.match(golb.output(), new RegExp(`connection limit per listener.*maxConnections.{1,3}${CAP}`), 'the cap in force is logged at start');
      // The readiness checks' connections are released.
      await waitUntil('no traffic connection open', WAIT_MS, async () => ((await metrics()).get(`golb_connections_open{${traffic}}`) === 0 ? true : undefined));

      const held = await openIdle(golb.port, CAP, '/function/echo/held');
      // /metrics is built at most once a second: wait for a scrape that saw them.
      const full = await waitUntil('the held connections counted', WAIT_MS, async () => {
        const m = await metrics();
        return m.get(`golb_connections_open{${traffic}}`) === CAP ? m : undefined;
      });
      assert.equal(full.get(`golb_connections_open{${traffic}}`), CAP);
      assert.equal(full.get(`golb_connections_max{${traffic}}`), CAP);
      const refusedBefore = full.get(`golb_connections_refused_total{${traffic},reason="limit"}`)!;

      // One past the cap: closed without an answer, its request unread.
      const extra = await RawClient.connect(golb.port);
      extra.write(request('/function/echo/extra'));
      assert.equal(await extra.waitClosed(WAIT_MS), true, 'the connection past the cap is closed');
      assert.equal(extra.pending, '', 'with nothing sent');
      extra.close();

      // A burst of connections past the cap, with golb's CPU measured over at least CPU_WINDOW_MS.
      const startedAt = Date.now();
      const cpuBefore = cpuSeconds(golb.proc.pid!);
      let refused = 0;
      for (let sent = 0; sent < BURST; sent += BURST_WIDTH) {
        const batch = await Promise.all(Array.from({ length: BURST_WIDTH }, () => refusedAtOnce(golb.port)));
        refused += batch.filter(Boolean).length;
      }
      const rest = CPU_WINDOW_MS - (Date.now() - startedAt);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      const cpu = cpuSeconds(golb.proc.pid!) - cpuBefore;
      const wall = (Date.now() - startedAt) / 1000;
      t.diagnostic(`${runtime}: ${BURST} refused connections, golb used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s`);
      assert.equal(refused, BURST, 'every connection of the burst is closed at once, with nothing sent');
      assert.ok(cpu < 0.5 * wall, `golb used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s while refusing connections`);

      const counted = await waitUntil('the refusals counted', WAIT_MS, async () => {
        const m = await metrics();
        return m.get(`golb_connections_refused_total{${traffic},reason="limit"}`) === refusedBefore + 1 + BURST ? m : undefined;
      });
      assert.equal(counted.get(`golb_connections_refused_total{${traffic},reason="limit"}`), refusedBefore + 1 + BURST);
      assert.equal(counted.get(`golb_connections_open{${traffic}}`), CAP, 'the refused connections were never counted open');
      assert.equal(counted.get('golb_connections_refused_total{listener="management",reason="limit"}'), 0, 'the management listener has its own cap');

      // Some of the idle connections close: requests are proxied again.
      for (const c of held.splice(0, 5)) c.close();
      const seen = backend.seen.length;
      const res = await waitUntil('a proxied request after some connections closed', WAIT_MS, async () => {
        const r = await rawExchange(golb.port, request(`/function/echo/after-${runtime}`, true));
        return r?.status === 200 ? r : undefined;
      });
      assert.equal((JSON.parse(res.body.toString()) as { url: string }).url, `/after-${runtime}`);
      assert.ok(backend.seen.slice(seen).some((r) => r.url === `/after-${runtime}`), 'the backend answered it');
      for (const c of held) c.close();

      // The management listener full: a new connection there is closed; traffic is served.
      await waitUntil('only the scrape open on the management listener', WAIT_MS, async () => ((await metrics()).get('golb_connections_open{listener="management"}') === 1 ? true : undefined));
      const mgmtHeld = await openIdle(mgmtPort, CAP, '/healthz');
      assert.equal(await refusedAtOnce(mgmtPort), true, 'the connection past the management cap is closed at once');
      assert.equal((await rawExchange(golb.port, request('/function/echo/during', true), { timeoutMs: WAIT_MS }))?.status, 200, 'traffic is served meanwhile');
      for (const c of mgmtHeld) c.close();
      const after = await waitUntil('a scrape that counted the management refusal', WAIT_MS, async () => {
        const r = await rawExchange(mgmtPort, request('/metrics', true));
        const m = r?.status === 200 ? samples(r.body.toString()) : undefined;
        return (m?.get('golb_connections_refused_total{listener="management",reason="limit"}') ?? 0) >= 1 ? m : undefined;
      });
      assert.ok((after.get('golb_connections_refused_total{listener="management",reason="limit"}') ?? 0) >= 1, 'the refusal is counted for the management listener');
    });
  }
});
