/**
 * A fetch to the Kubernetes API server that verifies its certificate against
 * the cluster's CA and may present a client certificate. Each runtime has its
 * own one way to give fetch a CA, so that difference lives here alone:
 *
 * - Bun (and the compiled binary): `fetch(url, { tls: { ca, cert, key } })`.
 * - Deno: `Deno.createHttpClient({ caCerts, cert, key })`, passed as `client`.
 * - Node: its fetch takes a CA only through an undici dispatcher, which would
 *   be a new dependency; `node:https` takes `ca`, `cert` and `key` directly,
 *   and its response is handed back as a web `Response`.
 *
 * Verification is never turned off.
 * @module
 */
import { request as httpsRequest, Agent } from 'node:https';
import { Readable } from 'node:stream';

/** The TLS material for the API server: its CA, and a client certificate when the credentials are one. */
export interface ApiTls {
  /** PEM CA bundle the server's certificate must chain to. */
  ca: string;
  /** PEM client certificate and key (kubeconfig `client-certificate-data`). */
  cert?: string;
  key?: string;
}

/** What the watch loop calls: a GET (or POST) returning a web Response with a streamed body. */
export type ApiFetch = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

/** The runtimes golb runs on. */
export type ApiRuntime = 'bun' | 'deno' | 'node';

/** A fetch for `runtime` that trusts `tls.ca` only. */
export function apiFetch(runtime: ApiRuntime, tls: ApiTls): ApiFetch {
  if (runtime === 'bun') return bunFetch(tls);
  if (runtime === 'deno') return denoFetch(tls);
  return nodeFetch(tls);
}

function bunFetch(tls: ApiTls): ApiFetch {
  const options = { ca: tls.ca, ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }) };
  return (url, init) => fetch(url, { ...init, tls: options } as RequestInit);
}

/** `Deno.createHttpClient` as typed here (the other runtimes' type checker has no `Deno`). */
interface DenoHttp {
  createHttpClient(options: { caCerts: string[]; cert?: string; key?: string }): unknown;
}

function denoFetch(tls: ApiTls): ApiFetch {
  const deno = (globalThis as unknown as { Deno: DenoHttp }).Deno;
  const client = deno.createHttpClient({ caCerts: [tls.ca], ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }) });
  return (url, init) => fetch(url, { ...init, client } as RequestInit);
}

function nodeFetch(tls: ApiTls): ApiFetch {
  const agent = new Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key });
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { method: 'GET', headers: init.headers, agent, signal: init.signal }, (res) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
        resolve(new Response(body, { status: res.statusCode ?? 500, headers }));
      });
      req.on('error', reject);
      req.end();
    });
}
