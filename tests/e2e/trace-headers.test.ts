/**
 * edgerun's trace headers through two golb processes in a chain (gw-a →
 * gw-b → pod), on each runtime: the client's response must give galileo's
 * parsing the answers the Go seed gave. `galileoTrace` below does what
 * galileo does with a response's headers: the last `X-Final-Host` entry is the
 * pod that served the request; the `X-Forwarded-For` entries are the hops,
 * after the client; each hop's latency is 2 × the difference of the
 * `X-Forwarded-Host-<node>` stamps (seconds, as ms), the client's own being
 * the time it sent the request. `eb_go_lb_trace_headers=off` drops them. The
 * trace stream of each gateway says which way the request crossed the zones.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { openTraces } from '../support/trace-stream.ts';
import { waitUntil } from '../support/wait.ts';

/** What galileo reads of one response: the pod, the hops, each hop's latency in ms. */
interface GalileoTrace {
  pod: string;
  hops: string[];
  latencies: Map<string, number>;
}

/**
 * galileo's reading of a response's headers (its `update_latencies`): header
 * names compared in lower case against `x-forwarded-host-<hop>` built from the
 * hop as written, spaces removed from every entry.
 */
function galileoTrace(headers: Headers, clientNode: string, sentSeconds: number): GalileoTrace {
  const stamps = new Map<string, number>();
  for (const [name, value] of headers) stamps.set(name.toLowerCase(), Number(value));
  const findTs = (node: string) => (node === clientNode ? sentSeconds : (stamps.get(`x-forwarded-host-${node}`) ?? -1));
  const hops = (headers.get('X-Forwarded-For') ?? '').split(',').map((x) => x.replaceAll(' ', ''));
  const pod = (headers.get('X-Final-Host') ?? '').split(',').map((x) => x.replaceAll(' ', '')).at(-1)!;
  const path = [clientNode, ...hops];
  const latencies = new Map<string, number>();
  for (let i = 0; i < path.length - 1; i++) latencies.set(`${path[i]}->${path[i + 1]}`, 1000 * (findTs(path[i + 1]!) - findTs(path[i]!)) * 2);
  return { pod, hops, latencies };
}

for (const runtime of RUNTIMES) {
  describe(`edgerun's trace headers through two gateways on ${runtime}`, () => {
    let pod: Backend;
    let gwA: GolbProcess;
    let gwB: GolbProcess;
    let quiet: GolbProcess;

    before(async () => {
      pod = await startBackend();
      const [portA, portB] = [await freePort(), await freePort()];
      const addrA = `127.0.0.1:${portA}`;
      const addrB = `127.0.0.1:${portB}`;
      [gwA, gwB, quiet] = await Promise.all([
        startGolb(runtime, { port: portA, env: { eb_go_lb_node_name: 'gw-a', eb_go_lb_gateways: addrB }, weights: { f: { ips: [addrB], weights: [1] } } }),
        startGolb(runtime, { port: portB, env: { eb_go_lb_node_name: 'gw-b', eb_go_lb_gateways: addrA }, weights: { f: { ips: [pod.address], weights: [1] } } }),
        startGolb(runtime, { env: { eb_go_lb_node_name: 'gw-q', eb_go_lb_trace_headers: 'off' }, weights: { f: { ips: [pod.address], weights: [1] } } }),
      ]);
    });
    after(async () => {
      for (const g of [gwA, gwB, quiet]) assert.equal(await g.stop(), 0);
      await pod.close();
    });

    test('galileo finds the pod, the hops gw-a then gw-b, and non-negative hop times', async () => {
      for (let i = 0; i < 3; i++) {
        const sent = Date.now() / 1000;
        const res = await fetch(`${gwA.url}/function/f/work?i=${i}`);
        assert.equal(res.status, 200, await res.clone().text());
        await res.arrayBuffer();
        const trace = galileoTrace(res.headers, 'client', sent);
        assert.equal(trace.pod, pod.address, `X-Final-Host: ${res.headers.get('x-final-host')}`);
        assert.deepEqual(trace.hops, ['gw-a', 'gw-b'], `X-Forwarded-For: ${res.headers.get('x-forwarded-for')}`);
        assert.deepEqual([...trace.latencies.keys()], ['client->gw-a', 'gw-a->gw-b']);
        for (const [hop, ms] of trace.latencies) {
          assert.ok(Number.isFinite(ms) && ms >= 0 && ms < 30_000, `${hop}: ${ms} ms`);
        }
        assert.match(res.headers.get('x-forwarded-host-gw-a') ?? '', /^\d+\.\d{7}$/);
        assert.match(res.headers.get('x-forwarded-host-gw-b') ?? '', /^\d+\.\d{7}$/);
      }
      // The request side keeps the standard X-Forwarded-For: addresses, the client's first, never node names.
      const seen = pod.seen.at(-1)!.headers;
      assert.equal(seen['x-forwarded-for'], '127.0.0.1, 127.0.0.1');
      assert.equal(seen.via, '1.1 gw-a, 1.1 gw-b');
    });

    test("each gateway's trace line: gw-a sent it to another zone, gw-b got it from one", async () => {
      const [a, b] = await Promise.all([openTraces(gwA.url), openTraces(gwB.url)]);
      const res = await fetch(`${gwA.url}/function/f/`, { headers: { 'x-request-id': 'crossing-1' } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const lineOf = (s: typeof a) => waitUntil('the line', 10_000, () => s.lines().find((l) => l.requestId === 'crossing-1'));
      const [atA, atB] = await Promise.all([lineOf(a), lineOf(b)]);
      assert.deepEqual([atA.node, atA.hops, atA.forwarded, atA.gateway, atA.backend, atA.status], ['gw-a', ['gw-a'], false, true, gwB.url.slice('http://'.length), 200]);
      assert.deepEqual([atB.node, atB.hops, atB.forwarded, atB.gateway, atB.backend, atB.status], ['gw-b', ['gw-a', 'gw-b'], true, false, pod.address, 200]);
      a.close();
      b.close();
    });

    test('one gateway straight to its pod: one hop, the pod', async () => {
      const sent = Date.now() / 1000;
      const res = await fetch(`${gwB.url}/function/f/`);
      await res.arrayBuffer();
      const trace = galileoTrace(res.headers, 'client', sent);
      assert.equal(trace.pod, pod.address);
      assert.deepEqual(trace.hops, ['gw-b']);
      assert.ok(trace.latencies.get('client->gw-b')! >= 0);
    });

    test('eb_go_lb_trace_headers=off: none of them on the response; Via and the request side stay', async () => {
      const res = await fetch(`${quiet.url}/function/f/`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(res.headers.get('x-final-host'), null);
      assert.equal(res.headers.get('x-forwarded-for'), null);
      assert.equal(res.headers.get('x-forwarded-host-gw-q'), null);
      assert.equal(res.headers.get('via'), '1.1 gw-q');
      const seen = pod.seen.at(-1)!.headers;
      assert.equal(seen['x-final-host'], pod.address);
      assert.match(String(seen['x-forwarded-host-gw-q']), /^\d+\.\d{7}$/);
    });
  });
}
