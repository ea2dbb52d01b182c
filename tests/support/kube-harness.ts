/**
 * A real kube-apiserver for the Kubernetes suites, started the way
 * controller-runtime's envtest starts one: its own etcd, a secure port on a
 * free loopback port with a serving certificate for 127.0.0.1 (a throwaway CA
 * made with openssl), RBAC authorization, service-account signing keys, and
 * an admin client certificate (group `system:masters`). No controller manager,
 * scheduler or kubelet: tests create pods and write their status through the
 * API.
 *
 * The watch cache is off and the apiserver never compacts by itself, so a
 * compaction the test makes (`compact()`) turns a resumed watch into the 410
 * Gone a cluster gives after its five minutes of history.
 *
 * The binary comes from `scripts/kube-apiserver.mjs` (built once per machine
 * from Go modules); without Go, {@link kubeSkipReason} says so and the suites skip.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiserverPath, ensureApiserver, haveGo } from '../../scripts/kube-apiserver.mjs';
import { startEtcd } from '../../scripts/etcd-process.mjs';
import { freePort } from '../../scripts/free-port.mjs';

/** Why the Kubernetes suites cannot run here, or undefined when they can. */
export function kubeSkipReason(): string | undefined {
  if (existsSync(apiserverPath())) return undefined;
  if (!haveGo()) return 'Go is not installed: kube-apiserver cannot be built (the Kubernetes suites skip)';
  return undefined;
}

/** A running control plane. */
export interface Kube {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  port: number;
  dir: string;
  /** The CA's PEM (serving and client certificates). */
  ca: string;
  etcdEndpoint: string;
  /** An admin API call; resolves status and parsed body. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  /** Writes a kubeconfig (YAML, as kubectl writes it) for a token or the admin certificate, to the apiserver or another port (a relay); returns its path. */
  kubeconfig(name: string, auth: { token: string } | 'admin', namespace?: string, port?: number): string;
  /** Compacts etcd at its current revision. */
  compact(): void;
  /** Stops and starts the apiserver on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const openssl = (dir: string, args: string[]): void => {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
};

/** A CA, a serving certificate for 127.0.0.1, an admin client certificate and the service-account keys. */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=golb-test-ca', '-days', '2']);
  const leaf = (name: string, subj: string, ext: string) => {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  };
  leaf('serving', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('admin', '/O=system:masters/CN=golb-test-admin', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** Starts etcd and the apiserver (builds the binary first when it is not cached). */
export async function startKube(): Promise<Kube> {
  const binary = await ensureApiserver();
  const dir = mkdtempSync(join(tmpdir(), 'golb-kube-'));
  makeCertificates(dir);
  const etcd = await startEtcd('kube');
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const agent = new Agent({ keepAlive: true, ca, cert: readFileSync(join(dir, 'admin.crt')), key: readFileSync(join(dir, 'admin.key')) });
  const args = [
    `--etcd-servers=http://${etcd.endpoint}`, '--etcd-prefix=/registry', '--etcd-compaction-interval=0', '--watch-cache=false',
    `--cert-dir=${dir}`, `--tls-cert-file=${join(dir, 'serving.crt')}`, `--tls-private-key-file=${join(dir, 'serving.key')}`,
    `--secure-port=${port}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
    '--authorization-mode=RBAC', `--client-ca-file=${join(dir, 'ca.crt')}`,
    `--service-account-issuer=${server}/`, `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-cluster-ip-range=10.0.0.0/24', '--allow-privileged=true', '--disable-admission-plugins=ServiceAccount',
    '--enable-priority-and-fairness=false', '--v=0',
  ];
  let proc: ChildProcess | undefined;
  let log = '';
  const api: Kube['api'] = (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(`${server}${path}`, { method, agent, headers: payload === undefined ? {} : { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain text (healthz)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(payload);
    });
  const launch = async () => {
    log = '';
    const p = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.length > 100_000) log = log.slice(-50_000);
    });
    proc = p;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`kube-apiserver exited ${p.exitCode}:\n${log.slice(-4000)}`);
      const ok = await api('GET', '/readyz').then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready in 90 s:\n${log.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kill = async () => {
    const p = proc;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  try {
    await launch();
  } catch (err) {
    await kill();
    await etcd.stop();
    throw err;
  }
  const b64 = (file: string) => readFileSync(join(dir, file)).toString('base64');
  return {
    server,
    port,
    dir,
    ca,
    etcdEndpoint: etcd.endpoint,
    api,
    kubeconfig(name, auth, namespace, viaPort = port) {
      const user = auth === 'admin' ? [`    client-certificate-data: ${b64('admin.crt')}`, `    client-key-data: ${b64('admin.key')}`] : [`    token: "${auth.token}"`];
      const text = [
        'apiVersion: v1', 'kind: Config', 'clusters:', '- cluster:', `    certificate-authority-data: ${b64('ca.crt')}`, `    server: https://127.0.0.1:${viaPort}`, '  name: test',
        'contexts:', '- context:', '    cluster: test', '    user: golb', ...(namespace === undefined ? [] : [`    namespace: ${namespace}`]), '  name: test',
        'current-context: test', 'preferences: {}', 'users:', '- name: golb', '  user:', ...user, '',
      ].join('\n');
      const path = join(dir, `${name}.kubeconfig`);
      writeFileSync(path, text);
      return path;
    },
    compact() {
      const r = spawnSync('etcdctl', [`--endpoints=${etcd.endpoint}`, 'endpoint', 'status', '-w', 'json'], { encoding: 'utf8' });
      const rev = (JSON.parse(r.stdout) as { Status: { header: { revision: number } } }[])[0]!.Status.header.revision;
      const c = spawnSync('etcdctl', [`--endpoints=${etcd.endpoint}`, 'compact', String(rev)], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`etcdctl compact: ${c.stderr}`);
    },
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      agent.destroy();
      await kill();
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pod as the tests make it: labels, an image, bound to a node (so a delete with a grace period leaves it terminating). */
export function podManifest(name: string, labels: Record<string, string>, image = 'registry.example:5000/team/fn-image:1'): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName: 'fake-node', containers: [{ name: 'fn', image }] },
  };
}

/** The status a kubelet would write: Running with an IP, Ready or not. */
export function podStatus(ip: string, ready: boolean): unknown {
  return {
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    },
  };
}

/**
 * A TCP relay in front of the apiserver that a test can cut: `cut()` closes
 * every connection through it, `hold(true)` refuses new ones until `hold(false)`.
 */
export interface CutProxy {
  port: number;
  cut(): void;
  hold(on: boolean): void;
  close(): Promise<void>;
}

/** Starts a {@link CutProxy} to `127.0.0.1:targetPort`. */
export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let holding = false;
  const srv: TcpServer = createTcpServer((client) => {
    if (holding) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  return {
    port,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    hold: (on) => {
      holding = on;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
