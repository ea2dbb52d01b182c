/**
 * Kubernetes discovery, measured against a real kube-apiserver
 * (`tests/support/kube-harness.ts`): `node --import tsx bench/kube-discovery.ts [runtime] [pods]`
 * (runtime: bun, deno, node or binary; default bun; pods default 5000).
 *
 * 1. A pod change to the first request routed by it, worst of 30: a function
 *    served by pod A; pod B turns Ready (its status written through the API)
 *    while requests go to the function back to back; the time from the write
 *    to B's first answer.
 * 2. `pods` pods listed and followed: created Ready in another namespace
 *    before golb starts; the time until golb has listed them all, its resident
 *    memory before and after (against a golb following an empty namespace),
 *    and one change among them followed.
 * @module
 */
import { createServer } from 'node:http';
import { RUNTIMES, freePort, startGolb, type GolbProcess, type Runtime } from '../tests/support/harness.ts';
import { podManifest, podStatus, startKube, type Kube } from '../tests/support/kube-harness.ts';

const runtime = (process.argv[2] ?? 'bun') as Runtime;
if (![...RUNTIMES, 'binary'].includes(runtime)) throw new Error(`runtime: bun, deno, node or binary, not ${runtime}`);
const POD_COUNT = Number(process.argv[3] ?? 5000);
const ROUNDS = 30;

const kube: Kube = await startKube();
const ok = async (method: string, path: string, body?: unknown, type?: string) => {
  const r = await kube.api(method, path, body, type);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
};
const config = kube.kubeconfig('bench', 'admin');
const port = await freePort();
const servers = await Promise.all(['127.0.30.1', '127.0.30.2'].map((ip) => new Promise<ReturnType<typeof createServer>>((resolve) => {
  const srv = createServer((req, res) => {
    req.resume();
    res.end(ip);
  });
  srv.listen(port, ip, () => resolve(srv));
})));
const golbs: GolbProcess[] = [];
const rss = async (g: GolbProcess) => {
  const text = await (await fetch(`${g.url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 2 ** 20;
};
const kstats = async (g: GolbProcess) => ((await (await fetch(`${g.url}/1/lb/stats`)).json()) as { kubernetes: { pods_seen: number; pods_ready: number } }).kubernetes;
const start = async (ns: string) => {
  const p = await freePort();
  const g = await startGolb(runtime, { port: p, args: ['--k8s-functions', '--k8s-function-label', 'fn', '--label-selector', 'bench=yes', '--namespace', ns, '--kubeconfig', config, '--target-port', String(port)] });
  golbs.push(g);
  return g;
};

/** A namespace with pods a (Ready, 127.0.30.1) and b (not Ready, 127.0.30.2) of function hello. */
async function twoPods(ns: string): Promise<void> {
  await ok('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  for (const [name, ip] of [['a', '127.0.30.1'], ['b', '127.0.30.2']] as const) {
    await ok('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(name, { bench: 'yes', fn: 'hello' }));
    await ok('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, podStatus(ip, name === 'a'), 'application/merge-patch+json');
  }
}

/** Pod b turning Ready to the first request it answers, {@link ROUNDS} times; prints median and worst. */
async function measure(g: GolbProcess, ns: string, label: string): Promise<void> {
  const answer = async () => {
    const r = await fetch(`${g.url}/function/hello/`);
    return r.status === 200 ? r.text() : `status ${r.status}`;
  };
  const untilOnly = async (want: string) => {
    for (let streak = 0; streak < 20; ) streak = (await answer()) === want ? streak + 1 : 0;
  };
  const patchB = (ready: boolean) => ok('PATCH', `/api/v1/namespaces/${ns}/pods/b/status`, podStatus('127.0.30.2', ready), 'application/merge-patch+json');
  await untilOnly('127.0.30.1');
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const write = patchB(true);
    while ((await answer()) !== '127.0.30.2');
    times.push(performance.now() - t0);
    await write;
    await patchB(false);
    await untilOnly('127.0.30.1');
  }
  times.sort((x, y) => x - y);
  console.log(`${runtime}: pod Ready → first request routed to it (${label}), ${ROUNDS} rounds: median ${times[ROUNDS >> 1]!.toFixed(1)} ms, worst ${times[ROUNDS - 1]!.toFixed(1)} ms`);
}

try {
  // 1. Latency of a change.
  await twoPods('latency');
  const g = await start('latency');
  await measure(g, 'latency', 'among 2 pods');
  const emptyRss = await rss(g);

  // 2. Many pods.
  await twoPods('many');
  const t1 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < POD_COUNT) {
      const i = next++;
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      await ok('POST', '/api/v1/namespaces/many/pods', podManifest(`p${i}`, { bench: 'yes', fn: 'big' }));
      await ok('PATCH', `/api/v1/namespaces/many/pods/p${i}/status`, podStatus(ip, true), 'application/merge-patch+json');
    }
  }));
  console.log(`${POD_COUNT} pods created in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  const t2 = performance.now();
  const big = await start('many');
  while ((await kstats(big)).pods_ready < POD_COUNT + 1) await new Promise((r) => setTimeout(r, 20));
  const listed = performance.now() - t2;
  console.log(`${runtime}: ${POD_COUNT} pods listed (start to all ready in the table) in ${(listed / 1000).toFixed(2)} s`);
  await measure(big, 'many', `among ${POD_COUNT + 2} pods`);
  console.log(`${runtime}: resident memory ${emptyRss.toFixed(1)} MiB following 2 pods, ${(await rss(big)).toFixed(1)} MiB following ${POD_COUNT}`);
} finally {
  await Promise.all(golbs.map((g) => g.stop()));
  for (const s of servers) s.close();
  await kube.stop();
}
