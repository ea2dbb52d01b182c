/**
 * The pure parts of Kubernetes discovery: reading a kubeconfig, a pod's view,
 * image names, functions from pods and the table where the source wins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKubeconfig } from '../../../app/kubernetes/kubeconfig-yaml.ts';
import { imageFunctionName, viewPod, takesRequests, type PodObject } from '../../../app/kubernetes/pod-view.ts';
import { functionsOfPods, PodFunctionTable } from '../../../app/kubernetes/pod-functions.ts';
import { loadCredentials, KubeCredentialsError } from '../../../app/kubernetes/credentials.ts';
import { BackendStates } from '../../../strategies/backend-state.ts';

const KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
  name: test
contexts:
- context:
    cluster: test
    namespace: fn
    user: golb
  name: test
current-context: test
kind: Config
preferences: {}
users:
- name: golb
  user:
    token: "abc"   
`;

test('a kubeconfig as kubectl writes it', () => {
  const c = parseKubeconfig(KUBECONFIG) as any;
  assert.equal(c['current-context'], 'test');
  assert.equal(c.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  assert.equal(c.contexts[0].context.namespace, 'fn');
  assert.equal(c.users[0].user.token, 'abc');
  assert.deepEqual(c.preferences, {});
});

test('credentials from a kubeconfig; insecure-skip-tls-verify refused; none outside a cluster', async () => {
  const files: Record<string, string> = { '/k/config': KUBECONFIG };
  const world = { env: {}, readFile: async (p: string) => files[p] ?? Promise.reject(new Error('ENOENT')) };
  const c = await loadCredentials('/k/config', world);
  assert.deepEqual([c.server, c.tls.ca, await c.token(), c.namespace], ['https://127.0.0.1:6443', 'CA', 'abc', 'fn']);
  files['/k/bad'] = KUBECONFIG.replace('    server:', '    insecure-skip-tls-verify: true\n    server:');
  await assert.rejects(loadCredentials('/k/bad', world), /insecure-skip-tls-verify/);
  await assert.rejects(loadCredentials(undefined, world), KubeCredentialsError);
});

test('in cluster: the token is read again for every request (bound tokens rotate)', async () => {
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  const files: Record<string, string> = { [`${dir}/ca.crt`]: 'CA', [`${dir}/token`]: 't1\n', [`${dir}/namespace`]: 'fn\n' };
  const c = await loadCredentials(undefined, { env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, readFile: async (p) => files[p] ?? Promise.reject(new Error('ENOENT')) });
  assert.deepEqual([c.server, c.namespace, await c.token()], ['https://[fd00::1]:443', 'fn', 't1']);
  files[`${dir}/token`] = 't2';
  assert.equal(await c.token(), 't2');
});

test("an image's function name: the repository basename, no registry, tag or digest", () => {
  for (const [image, fn] of [
    ['hello', 'hello'], ['hello:1.2', 'hello'], ['registry:5000/team/hello:1.2', 'hello'],
    ['ghcr.io/edge/resize@sha256:0123', 'resize'], ['docker.io/library/fn-echo:latest@sha256:ab', 'fn-echo'],
  ]) assert.equal(imageFunctionName(image!), fn, image);
});

const pod = (uid: string, ip: string | undefined, ready: boolean, extra: Partial<PodObject['metadata']> = {}): PodObject => ({
  metadata: { uid, name: uid, labels: { fn: `fn-${uid}` }, ...extra },
  spec: { containers: [{ image: 'reg/x/echo:1' }] },
  status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

test('a pod takes new requests only when Ready, with an IP, not terminating', () => {
  assert.equal(takesRequests(viewPod(pod('a', '10.0.0.1', true), undefined)!), true);
  assert.equal(takesRequests(viewPod(pod('a', '10.0.0.1', false), undefined)!), false);
  assert.equal(takesRequests(viewPod(pod('a', undefined, true), undefined)!), false);
  assert.equal(takesRequests(viewPod(pod('a', '10.0.0.1', true, { deletionTimestamp: '2026-01-01T00:00:00Z' }), undefined)!), false);
  assert.equal(viewPod({ metadata: { name: 'no-uid' } }, undefined), undefined);
  assert.equal(viewPod(pod('a', '10.0.0.1', true), { label: 'fn' })!.fn, 'fn-a');
  assert.equal(viewPod(pod('a', '10.0.0.1', true), { label: undefined })!.fn, 'echo');
});

test('functions from pods: ready pods only, equal weights; the source wins and falls back to the pods', () => {
  const views = [pod('a', '10.0.0.2', true), pod('b', '10.0.0.1', true), pod('c', '10.0.0.3', false)].map((p) => viewPod(p, { label: undefined })!);
  const specs = functionsOfPods(views, 8080);
  assert.deepEqual(specs.get('echo')!.targets.map((t) => [t.address, t.weight]), [['10.0.0.1:8080', 1], ['10.0.0.2:8080', 1]]);
  const table = new PodFunctionTable({ defaultStrategy: 'wrr', gateways: [], deps: { random: Math.random, now: () => 0 }, states: new BackendStates() });
  table.setDiscovered(specs);
  assert.equal(table.get('echo')!.backends.length, 2);
  assert.equal(table.fromPods('echo'), true);
  const own = { targets: [{ address: '10.9.9.9:80', host: '10.9.9.9', port: 80, weight: 7 }], strategy: undefined };
  table.replaceAll(new Map([['echo', own]]));
  assert.deepEqual(table.get('echo')!.backends.map((b) => b.address), ['10.9.9.9:80']);
  table.setDiscovered(functionsOfPods(views.slice(0, 1), 8080));
  assert.deepEqual(table.get('echo')!.backends.map((b) => b.address), ['10.9.9.9:80']);
  table.replaceAll(new Map());
  assert.deepEqual(table.get('echo')!.backends.map((b) => b.address), ['10.0.0.2:8080']);
  table.setDiscovered(new Map());
  assert.equal(table.get('echo'), undefined);
});

test('functions from pods: a name that could never be requested is left out', () => {
  const named = (fn: string) => ({ ...viewPod(pod('x', '10.0.0.7', true), { label: undefined })!, fn });
  const specs = functionsOfPods(['..', '%2e%2e', '_pool', 'a\nb', 'x'.repeat(300), 'résumé', 'ok-fn'].map(named), 8080);
  assert.deepEqual([...specs.keys()], ['ok-fn']);
});
