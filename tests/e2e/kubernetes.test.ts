/**
 * golb following pods through a real kube-apiserver (`kube-harness.ts`), on
 * Bun, Deno and Node at once: each runtime has its own namespace, pods and
 * golb, and every case acts on the three together. There is no kubelet: the
 * test creates pods and writes their status (IP, Ready) itself. Each pod's IP
 * is a loopback address (127.0.<runtime>.<n>) where a small HTTP server
 * answers with that IP, on the one target port.
 *
 * The compiled binary (`npm run build`, dist/golb) is the fourth side.
 *
 * golb reaches the apiserver through a relay the test can cut (the
 * compaction case), with a service-account token from the TokenRequest API
 * and a Role allowing get, list and watch on pods.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, RUNTIMES, freePort, startGolb, type GolbProcess, type Runtime } from '../support/harness.ts';
import { kubeSkipReason, podManifest, podStatus, startCutProxy, startKube, type CutProxy, type Kube } from '../support/kube-harness.ts';
import { etcdctl } from '../support/etcd-harness.ts';
import { buildRelease } from '../support/release-build.ts';
import { waitUntil } from '../support/wait.ts';

const skip = kubeSkipReason();
if (skip !== undefined) console.log(`# kubernetes suite skipped: ${skip}`);
const FOLLOW_MS = 20_000;
const FNLB_SELECTOR = 'app=fn,role=fn-service';
const FNLB_LABELS = { app: 'fn', role: 'fn-service' };

/** Requests for `/held/…` each pod IP has received; they are answered once their side's gate opens. */
const heldSeen = new Map<string, number>();
/** Per side (`127.0.<n>`): the gate `/held/` requests wait for, and how to open it. */
const gates = new Map<string, { open: Promise<void>; release: () => void }>();
const gateOf = (net: string) => {
  let gate = gates.get(net);
  if (gate === undefined) {
    let release: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (release = resolve));
    gates.set(net, (gate = { open, release }));
  }
  return gate;
};

/** A pod's HTTP server on its loopback IP. */
async function podServer(ip: string, port: number): Promise<Server> {
  const srv = createServer(async (req, res) => {
    req.resume();
    if (req.url?.includes('/held/')) {
      heldSeen.set(ip, (heldSeen.get(ip) ?? 0) + 1);
      await gateOf(ip.split('.').slice(0, 3).join('.')).open;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ip, url: req.url }));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, ip, resolve);
  });
  return srv;
}

/** The pod IPs that answered 60 distinct pool paths (consistent hashing spreads them). */
async function poolIps(url: string): Promise<string> {
  const ips = new Set<string>();
  await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      const r = await fetch(`${url}/r/app/route-${i}`);
      const text = await r.text();
      ips.add(r.status === 200 ? (JSON.parse(text) as { ip: string }).ip : `status ${r.status}`);
    }),
  );
  return [...ips].sort().join(' ');
}

/** Waits until the pool of `golb` answers from exactly `ips`. */
async function waitIps(golb: GolbProcess, ips: string[]): Promise<void> {
  const url = golb.url;
  const want = [...ips].sort().join(' ');
  let last = '';
  await waitUntil(`pool answers from ${want}`, FOLLOW_MS, async () => ((last = await poolIps(url)) === want ? true : undefined)).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${last}; golb (${golb.runtime}) said:\n${golb.output().slice(-3000)}`);
  });
}

/** Where golb runs: the three runtimes and the compiled binary. */
const SIDES = [...RUNTIMES, 'binary'] as const;

/** One runtime's world: its namespace, pod servers, golb. */
interface Side {
  runtime: (typeof SIDES)[number];
  ns: string;
  /** 127.0.<n>. */
  net: string;
  golb: GolbProcess;
  servers: Server[];
}

describe('Kubernetes discovery against a real kube-apiserver', { skip }, () => {
  let kube: Kube;
  let relay: CutProxy;
  let targetPort: number;
  const sides: Side[] = [];
  const ip = (side: Side, n: number) => `${side.net}.${n}`;

  const api = async (method: string, path: string, body?: unknown, type?: string) => {
    const r = await kube.api(method, path, body, type);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
    return r.body;
  };
  const createPod = async (side: Side, name: string, n: number, ready: boolean, labels: Record<string, string> = FNLB_LABELS, image?: string) => {
    await api('POST', `/api/v1/namespaces/${side.ns}/pods`, podManifest(name, labels, image));
    await setReady(side, name, n, ready);
  };
  const setReady = (side: Side, name: string, n: number, ready: boolean) =>
    api('PATCH', `/api/v1/namespaces/${side.ns}/pods/${name}/status`, podStatus(ip(side, n), ready), 'application/merge-patch+json');
  const deletePod = (side: Side, name: string, grace: number) =>
    api('DELETE', `/api/v1/namespaces/${side.ns}/pods/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: grace });
  /** A service account, optionally bound to a Role reading pods; resolves a token from the TokenRequest API. */
  const account = async (ns: string, name: string, bind: boolean) => {
    await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name } });
    if (bind) await bindRole(ns, name);
    const tr = await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    return (tr as { status: { token: string } }).status.token;
  };
  const bindRole = async (ns: string, name: string) => {
    await kube.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'golb' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: `golb-${name}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'golb' },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    });
  };
  const stats = async (side: Side) => ((await (await fetch(`${side.golb.url}/1/lb/stats`)).json()) as { kubernetes: Record<string, number> }).kubernetes;

  before(async () => {
    const started = Date.now();
    kube = await startKube();
    console.log(`# kube-apiserver ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    buildRelease(300_000);
    relay = await startCutProxy(kube.port);
    targetPort = await freePort();
    await Promise.all(
      SIDES.map(async (runtime, r) => {
        const ns = `golb-${runtime}`;
        await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
        const side = { runtime, ns, net: `127.0.${20 + r}`, servers: [] as Server[] } as Side;
        for (let n = 1; n <= 6; n++) side.servers.push(await podServer(ip(side, n), targetPort));
        await createPod(side, 'fn-1', 1, true);
        await createPod(side, 'fn-2', 2, true);
        await createPod(side, 'other', 3, true, { app: 'fn' });
        const token = await account(ns, 'golb', true);
        // Through the relay: the serving certificate is for 127.0.0.1, any port.
        const viaRelay = kube.kubeconfig(`golb-${runtime}`, { token }, undefined, relay.port);
        const port = await freePort();
        side.golb = await startGolb(runtime as Runtime, {
          port,
          args: ['-db=k8s', `-label-selector=${FNLB_SELECTOR}`, `-listen=127.0.0.1:${port}`, `-mgmt-listen=127.0.0.1:${port}`, `-namespace=${ns}`, `-target-port=${targetPort}`, `--kubeconfig=${viaRelay}`, '--hc-interval', '0.2'],
        });
        sides.push(side);
      }),
    );
  }, { timeout: 60 * 60_000 });

  after(async () => {
    await Promise.all(sides.map(async (s) => {
      await s.golb.stop();
      for (const srv of s.servers) srv.close();
    }));
    await relay?.close();
    await kube?.stop();
  });

  test("fnlb's DaemonSet args route to the labelled, ready pods only", async () => {
    await Promise.all(sides.map((s) => waitIps(s.golb, [ip(s, 1), ip(s, 2)])));
    for (const s of sides) assert.match(s.golb.output(), /kubernetes: following pods/);
  });

  test('a pod turning unready stops getting requests; ready again, it gets them', async () => {
    await Promise.all(sides.map(async (s) => {
      await setReady(s, 'fn-1', 1, false);
      await waitIps(s.golb, [ip(s, 2)]);
      await setReady(s, 'fn-1', 1, true);
      await waitIps(s.golb, [ip(s, 1), ip(s, 2)]);
    }));
  });

  test('a terminating pod gets no new requests and finishes those it holds; deleted it is gone; a new ready pod gets them', async () => {
    await Promise.all(sides.map(async (s) => {
      // Requests fn-2 holds when it starts terminating finish there.
      const inFlight = Array.from({ length: 20 }, (_, i) => fetch(`${s.golb.url}/r/app/held/${i}`).then(async (r) => [r.status, await r.text()] as const));
      await waitUntil('fn-2 holds requests', FOLLOW_MS, () => ((heldSeen.get(ip(s, 2)) ?? 0) > 0 ? true : undefined));
      await deletePod(s, 'fn-2', 300);
      const pod = await api('GET', `/api/v1/namespaces/${s.ns}/pods/fn-2`);
      assert.ok((pod as { metadata: { deletionTimestamp?: string } }).metadata.deletionTimestamp, 'fn-2 is terminating');
      await waitIps(s.golb, [ip(s, 1)]);
      gateOf(s.net).release();
      for (const [status, body] of await Promise.all(inFlight)) assert.equal(status, 200, body);
      await deletePod(s, 'fn-2', 0);
      await createPod(s, 'fn-4', 4, true);
      await waitIps(s.golb, [ip(s, 1), ip(s, 4)]);
      const k = await stats(s);
      assert.deepEqual([k.pods_seen, k.pods_ready], [2, 2]);
      const metrics = await (await fetch(`${s.golb.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`golb_kubernetes_pods_ready\\{namespace="${s.ns}"\\} 2`));
    }));
  });

  test('a compaction while the watch is cut off: the resumed watch gets 410, the relist drops the pod deleted meanwhile', async () => {
    const before = await Promise.all(sides.map((s) => stats(s)));
    relay.hold(true);
    relay.cut();
    try {
      for (const s of sides) {
        await deletePod(s, 'fn-4', 0);
        await createPod(s, 'fn-5', 5, true);
      }
      kube.compact();
    } finally {
      relay.hold(false);
    }
    await Promise.all(sides.map(async (s, i) => {
      await waitIps(s.golb, [ip(s, 1), ip(s, 5)]);
      // /1/lb/stats is built at most once a second: wait for an answer that saw the relist.
      const k = await waitUntil('a stats answer with the relist', FOLLOW_MS, async () => {
        const now = await stats(s);
        return now.relists! > before[i]!.relists! ? now : undefined;
      }).catch(async () => stats(s));
      assert.ok(k.relists! > before[i]!.relists!, `relisted: ${JSON.stringify(k)}`);
      assert.match(s.golb.output(), /410 Gone/);
    }));
  });

  test('the apiserver restarting: golb reconnects and follows again', async () => {
    await kube.restart();
    await Promise.all(sides.map(async (s) => {
      await setReady(s, 'fn-5', 5, false);
      await waitIps(s.golb, [ip(s, 1)]);
      await setReady(s, 'fn-5', 5, true);
      await waitIps(s.golb, [ip(s, 1), ip(s, 5)]);
    }));
  });

  test('without the RoleBinding: the 403 is logged once with the permission; applying it recovers', async () => {
    await Promise.all(sides.map(async (s) => {
      const token = await account(s.ns, 'late', false);
      const port = await freePort();
      const config = kube.kubeconfig(`late-${s.runtime}`, { token });
      // Not ready until the pods were listed once: a golb that may not list them stays out of the Service.
      const golb = await startGolb(s.runtime as Runtime, { port, waitReady: false, args: ['--db', 'k8s', '--label-selector', FNLB_SELECTOR, '--namespace', s.ns, '--target-port', String(targetPort), '--kubeconfig', config, '--hc-interval', '0.2'] });
      const readyz = async () => {
        const r = await fetch(`${golb.url}/readyz`).catch(() => undefined);
        return r === undefined ? undefined : [r.status, ((await r.json()) as { status: string }).status];
      };
      try {
        await waitUntil('the 403 logged', FOLLOW_MS, () => (/forbidden \(403\).*get, list and watch on pods in namespace/.test(golb.output()) ? true : undefined));
        assert.deepEqual(await readyz(), [503, 'discovering']);
        await bindRole(s.ns, 'late');
        await waitIps(golb, [ip(s, 1), ip(s, 5)]);
        assert.deepEqual(await readyz(), [200, 'ready']);
        assert.equal(golb.output().match(/forbidden \(403\)/g)?.length, 1, golb.output());
      } finally {
        assert.equal(await golb.stop(), 0, 'a clean exit on SIGTERM while following');
      }
    }));
  });

  test('functions from pods, by label and by image name; etcd weights win over discovery', async () => {
    await Promise.all(sides.map(async (s) => {
      await createPod(s, 'label-a', 6, true, { fnpods: 'yes', fn: 'by-label' }, 'registry.example:5000/team/other-image:2');
      const token = await account(s.ns, 'fns', true);
      const config = kube.kubeconfig(`fns-${s.runtime}`, { token }, s.ns);
      const zone = `k8s-${s.runtime}`;
      const [p1, p2] = [await freePort(), await freePort()];
      const common = ['--label-selector', 'fnpods=yes', '--kubeconfig', config, '--target-port', String(targetPort)];
      const byLabel = await startGolb(s.runtime as Runtime, { port: p1, args: [...common, '--k8s-functions', '--k8s-function-label', 'fn'] });
      const byImage = await startGolb(s.runtime as Runtime, {
        port: p2,
        args: [...common, '--k8s-functions'],
        env: { eb_go_lb_etcd_host: kube.etcdEndpoint, eb_go_lb_zone: zone },
      });
      try {
        const route = async (url: string, fn: string) => {
          const r = await fetch(`${url}/function/${fn}/`);
          await r.arrayBuffer();
          return r.status === 200 ? r.headers.get('x-final-host') : `status ${r.status}`;
        };
        const podAddr = `${ip(s, 6)}:${targetPort}`;
        await waitUntil('by-label routes to its pod', FOLLOW_MS, async () => ((await route(byLabel.url, 'by-label')) === podAddr ? true : undefined));
        await waitUntil('other-image routes to its pod', FOLLOW_MS, async () => ((await route(byImage.url, 'other-image')) === podAddr ? true : undefined));
        // Weights in etcd for the function win: the optimiser decides.
        const elsewhere = `${ip(s, 3)}:${targetPort}`;
        await etcdctl([kube.etcdEndpoint], ['put', `golb/function/${zone}/other-image`, JSON.stringify({ ips: [elsewhere], weights: [1] })]);
        await waitUntil('etcd weights win', FOLLOW_MS, async () => ((await route(byImage.url, 'other-image')) === elsewhere ? true : undefined));
        await etcdctl([kube.etcdEndpoint], ['del', `golb/function/${zone}/other-image`]);
        await waitUntil('back to the pods', FOLLOW_MS, async () => ((await route(byImage.url, 'other-image')) === podAddr ? true : undefined));
      } finally {
        await Promise.all([byLabel.stop(), byImage.stop()]);
      }
    }));
  });

  test('kubectl apply --dry-run=server accepts deploy/kubernetes/', async (t) => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (kubectl.error !== undefined || kubectl.status !== 0) return t.skip('kubectl is not installed (Debian: apt-get install kubernetes-client)');
    const config = kube.kubeconfig('admin', 'admin');
    // A dry run creates nothing: the objects of namespace fn need it to exist already.
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'fn' } });
    const r = spawnSync('kubectl', ['--kubeconfig', config, 'apply', '--dry-run=server', '-f', join(ROOT, 'deploy/kubernetes')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /daemonset.apps\/fn-lb created \(server dry run\)/);
  });

  test('a clear start error without credentials or without a namespace (exit 2)', async () => {
    const exit = async (args: string[]) => {
      const golb = await startGolb('bun', { args, waitReady: false });
      const code = await new Promise<number | null>((resolve) => (golb.proc.exitCode !== null ? resolve(golb.proc.exitCode) : golb.proc.on('exit', resolve)));
      return [code, golb.output()] as const;
    };
    const [code, out] = await exit(['-db=k8s', `-label-selector=${FNLB_SELECTOR}`]);
    assert.equal(code, 2, out);
    assert.match(out, /no Kubernetes credentials: not in a cluster \(KUBERNETES_SERVICE_HOST is unset\) and no --kubeconfig or KUBECONFIG/);
    const [code2, out2] = await exit(['-db=k8s', '--kubeconfig', kube.kubeconfig('no-namespace', 'admin')]);
    assert.equal(code2, 2, out2);
    assert.match(out2, /eb_go_lb_k8s_namespace \(--namespace\): needed here/);
    // fnlb's SQL stores: accepted with a warning, the pool stays in memory.
    const sql = await startGolb('bun', { args: ['-db=sqlite3://:memory:'] });
    assert.match(sql.output(), /fnlb's SQL store is not used/);
    assert.equal(await sql.stop(), 0);
  });
});
