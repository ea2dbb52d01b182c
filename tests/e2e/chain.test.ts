/**
 * Zone gateways in a chain: three gateways in three zones on loopback — one on
 * each runtime — each listing the others as backends with weights, plus pods.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startBackend, startGolb, type Backend, type GolbProcess, type Runtime } from '../support/harness.ts';

const ZONES = [
  { name: 'gw-a', runtime: 'bun' },
  { name: 'gw-b', runtime: 'deno' },
  { name: 'gw-c', runtime: 'node' },
] as const satisfies readonly { name: string; runtime: Runtime }[];

let pods: Record<string, Backend>;
let gw: Record<string, GolbProcess>;
let addr: Record<string, string>;

before(async () => {
  const [a1, b1, c1] = await Promise.all([startBackend(), startBackend(), startBackend()]);
  pods = { 'gw-a': a1!, 'gw-b': b1!, 'gw-c': c1! };
  const ports = await Promise.all(ZONES.map(() => freePort()));
  addr = Object.fromEntries(ZONES.map((z, i) => [z.name, `127.0.0.1:${ports[i]}`]));
  const others = (me: string) => ZONES.map((z) => z.name).filter((n) => n !== me);
  const started = await Promise.all(
    ZONES.map((z, i) =>
      startGolb(z.runtime, {
        port: ports[i],
        env: { eb_go_lb_node_name: z.name, eb_go_lb_gateways: others(z.name).map((n) => addr[n]).join(' ') },
        weights: {
          // Each zone: its pod 1, each other gateway 1 (gw-a: 2:1:1 to show the split follows weights).
          f: { ips: [pods[z.name]!.address, ...others(z.name).map((n) => addr[n])], weights: z.name === 'gw-a' ? [2, 1, 1] : [1, 1, 1] },
          // Only gateways: a request forwarded here has no pod to go to.
          gwonly: { ips: others(z.name).map((n) => addr[n]), weights: [1, 1] },
        },
      }),
    ),
  );
  gw = Object.fromEntries(ZONES.map((z, i) => [z.name, started[i]!]));
});

after(async () => {
  for (const g of Object.values(gw)) assert.equal(await g.stop(), 0);
  await Promise.all(Object.values(pods).map((p) => p.close()));
});

const seenCount = () => Object.fromEntries(Object.entries(pods).map(([k, p]) => [k, p.seen.length]));

test('every request is answered; gw-a splits 2:1:1 between its pod and the two other zones; no gateway is visited twice', async () => {
  const before = seenCount();
  for (let i = 0; i < 40; i++) {
    const r = await fetch(`http://${addr['gw-a']}/function/f/x/y?q=${i}`);
    assert.equal(r.status, 200, await r.clone().text());
    await r.arrayBuffer();
  }
  const after = seenCount();
  assert.equal(after['gw-a']! - before['gw-a']!, 20, 'its own pod: weight 2 of 4');
  assert.equal(after['gw-b']! - before['gw-b']!, 10, "gw-b's pod: weight 1 of 4 (forwarded requests go to pods only)");
  assert.equal(after['gw-c']! - before['gw-c']!, 10, "gw-c's pod");
  for (const [zone, pod] of Object.entries(pods)) {
    for (const seen of pod.seen.slice(before[zone])) {
      const via = String(seen.headers.via ?? '');
      const names = via.split(',').map((v) => v.trim().split(' ')[1]);
      assert.equal(new Set(names).size, names.length, `no gateway twice: ${via}`);
      assert.ok(names.length <= 2, `at most one zone boundary: ${via}`);
      // The pod behind the second gateway sees the stripped path and the original host.
      assert.match(seen.url, /^\/x\/y\?q=\d+$/);
      assert.equal(seen.headers['x-forwarded-host'], addr['gw-a']);
      assert.equal(seen.headers['x-golb-forwarded-by'], undefined, 'pods get no forwarding mark');
    }
  }
  const viaB = pods['gw-b']!.seen.at(-1)!.headers.via;
  assert.equal(viaB, '1.1 gw-a, 1.1 gw-b');
  // The seed's timestamps add up hop by hop; X-Final-Host is the last hop's choice alone.
  const behindB = pods['gw-b']!.seen.at(-1)!.headers;
  assert.match(String(behindB['x-forwarded-host-gw-a']), /^\d+\.\d{7}$/);
  assert.match(String(behindB['x-forwarded-host-gw-b']), /^\d+\.\d{7}$/);
  assert.equal(behindB['x-final-host'], pods['gw-b']!.address);
});

test("each gateway's split follows its own weights (gw-b 1:1:1)", async () => {
  const before = seenCount();
  for (let i = 0; i < 30; i++) await (await fetch(`http://${addr['gw-b']}/function/f/`)).arrayBuffer();
  const after = seenCount();
  assert.deepEqual(
    Object.keys(pods).map((k) => after[k]! - before[k]!),
    [10, 10, 10],
  );
});

test("a client's X-Forwarded-For does not narrow the choice to pods", async () => {
  const before = seenCount();
  for (let i = 0; i < 40; i++) {
    await (await fetch(`http://${addr['gw-a']}/function/f/`, { headers: { 'x-forwarded-for': '10.0.0.7' } })).arrayBuffer();
  }
  const after = seenCount();
  assert.equal(after['gw-b']! - before['gw-b']!, 10);
  assert.equal(after['gw-c']! - before['gw-c']!, 10);
});

test('a request whose Via names this node gets 508 JSON; so does a long Via', async () => {
  for (const via of ['1.1 gw-x, 1.1 gw-a', Array.from({ length: 8 }, (_, i) => `1.1 p${i}`).join(', ')]) {
    const r = await fetch(`http://${addr['gw-a']}/function/f/`, { headers: { via } });
    assert.equal(r.status, 508, via);
    const body = (await r.json()) as Record<string, string>;
    assert.equal(body.error, 'loop_detected');
    assert.equal(body.node, 'gw-a');
  }
});

test('a forwarded request for a function with no pod gets 503, never a bounce', async () => {
  const before = seenCount();
  // gw-a forwards gwonly to gw-b or gw-c; there it has only gateways: 503, passed back.
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`http://${addr['gw-a']}/function/gwonly/`);
    assert.equal(r.status, 503);
    const body = (await r.json()) as Record<string, string>;
    assert.equal(body.error, 'no_backend');
    assert.match(body.node ?? '', /^gw-[bc]$/);
  }
  assert.deepEqual(seenCount(), before, 'no pod was reached');
});
