/**
 * Where the Kubernetes API server is and how golb proves who it is, as a
 * cluster gives it:
 *
 * - `--kubeconfig` (or `KUBECONFIG`, its first file): the current context's
 *   server, CA (`certificate-authority-data` or `-authority`), and a token
 *   (`token`, `tokenFile`) or a client certificate (`client-certificate-data` /
 *   `client-key-data`, or the file forms).
 * - Otherwise, in a pod: `KUBERNETES_SERVICE_HOST` / `_PORT`, the service
 *   account's CA and token under {@link SERVICE_ACCOUNT_DIR}. The token is
 *   read again for every request: bound tokens rotate (about hourly).
 *
 * `insecure-skip-tls-verify` is refused: TLS is always verified. The file
 * system and environment are passed in.
 * @module
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { ApiTls } from './api-fetch.ts';
import { parseKubeconfig } from './kubeconfig-yaml.ts';

/** Where a pod's service account credentials are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Raised when no usable credentials are found; the message says what is missing. */
export class KubeCredentialsError extends Error {
  override readonly name = 'KubeCredentialsError';
}

/** How to reach and authenticate to the API server. */
export interface KubeCredentials {
  /** `https://host:port`, no trailing slash. */
  server: string;
  tls: ApiTls;
  /** The bearer token for the next request, read afresh when it comes from a file; undefined with a client certificate. */
  token(): Promise<string | undefined>;
  /** The namespace the credentials name (the service account's, or the context's); undefined when none. */
  namespace: string | undefined;
  /** Where they came from, for logs: `in-cluster` or `kubeconfig <path>`. */
  origin: string;
}

/** What loading credentials reads of the world. */
export interface CredentialsWorld {
  env: Record<string, string | undefined>;
  /** Reads a UTF-8 file; rejects when it is missing. */
  readFile(path: string): Promise<string>;
}

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/** Reads the service account's namespace file; undefined when it is absent. */
async function serviceAccountNamespace(world: CredentialsWorld): Promise<string | undefined> {
  try {
    return (await world.readFile(join(SERVICE_ACCOUNT_DIR, 'namespace'))).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads credentials: the kubeconfig given (flag, then `KUBECONFIG`), else the
 * in-cluster service account.
 * @throws {KubeCredentialsError} naming what is missing.
 */
export async function loadCredentials(kubeconfig: string | undefined, world: CredentialsWorld): Promise<KubeCredentials> {
  const path = kubeconfig ?? world.env.KUBECONFIG?.split(':').find((p) => p !== '');
  if (path !== undefined) return fromKubeconfig(path, world);
  const host = world.env.KUBERNETES_SERVICE_HOST;
  const port = world.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (host === undefined || host === '') {
    throw new KubeCredentialsError('no Kubernetes credentials: not in a cluster (KUBERNETES_SERVICE_HOST is unset) and no --kubeconfig or KUBECONFIG');
  }
  const read = (name: string) =>
    world.readFile(join(SERVICE_ACCOUNT_DIR, name)).catch(() => {
      throw new KubeCredentialsError(`in cluster, but ${join(SERVICE_ACCOUNT_DIR, name)} cannot be read (automountServiceAccountToken off?)`);
    });
  const ca = await read('ca.crt');
  await read('token');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tls: { ca },
    token: async () => (await read('token')).trim(),
    namespace: await serviceAccountNamespace(world),
    origin: 'in-cluster',
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The entry named `name` of a kubeconfig list (`clusters`, `users`, `contexts`): its inner object under `key`. */
function named(config: Obj, list: string, key: string, name: string | undefined): Obj | undefined {
  const entries = Array.isArray(config[list]) ? (config[list] as unknown[]) : [];
  const found = entries.map(obj).find((e) => e.name === name);
  return found === undefined ? undefined : obj(found[key]);
}

async function fromKubeconfig(path: string, world: CredentialsWorld): Promise<KubeCredentials> {
  const fail = (what: string): never => {
    throw new KubeCredentialsError(`kubeconfig ${path}: ${what}`);
  };
  let text = '';
  try {
    text = await world.readFile(path);
  } catch {
    fail('cannot be read');
  }
  let config: Obj = {};
  try {
    config = obj(parseKubeconfig(text));
  } catch (err) {
    fail(String((err as Error).message));
  }
  const contextName = str(config['current-context']) ?? fail('no current-context');
  const context = named(config, 'contexts', 'context', contextName) ?? fail(`context "${contextName}" not found`);
  const cluster = named(config, 'clusters', 'cluster', str(context.cluster)) ?? fail(`cluster "${String(context.cluster)}" not found`);
  const user = named(config, 'users', 'user', str(context.user)) ?? {};
  const file = (p: string) => world.readFile(isAbsolute(p) ? p : join(dirname(path), p));
  const server = (str(cluster.server) ?? fail('the cluster has no server')).replace(/\/+$/, '');
  if (!server.startsWith('https://')) fail(`server ${server} is not https (golb talks to the API server over verified TLS only)`);
  if (cluster['insecure-skip-tls-verify'] === true) fail('insecure-skip-tls-verify is set: golb always verifies the API server (give certificate-authority-data)');
  const caData = str(cluster['certificate-authority-data']);
  const caFile = str(cluster['certificate-authority']);
  const ca = caData !== undefined ? b64(caData) : caFile !== undefined ? await file(caFile) : fail('the cluster has no certificate-authority(-data)');
  if (user.exec !== undefined || user['auth-provider'] !== undefined) fail('exec and auth-provider credentials are not supported: give a token or a client certificate');
  const certData = str(user['client-certificate-data']);
  const keyData = str(user['client-key-data']);
  const certFile = str(user['client-certificate']);
  const keyFile = str(user['client-key']);
  const tls: ApiTls = { ca };
  if (certData !== undefined && keyData !== undefined) Object.assign(tls, { cert: b64(certData), key: b64(keyData) });
  else if (certFile !== undefined && keyFile !== undefined) Object.assign(tls, { cert: await file(certFile), key: await file(keyFile) });
  const staticToken = str(user.token);
  const tokenFile = str(user.tokenFile);
  const token =
    staticToken !== undefined
      ? async () => staticToken
      : tokenFile !== undefined
        ? async () => (await file(tokenFile)).trim()
        : async () => undefined;
  if (tls.cert === undefined && staticToken === undefined && tokenFile === undefined) fail(`user "${String(context.user)}" has no token or client certificate`);
  return {
    server,
    tls,
    token,
    namespace: (await serviceAccountNamespace(world)) ?? str(context.namespace),
    origin: `kubeconfig ${path}`,
  };
}
