/**
 * Follows the pods a label selector picks in one namespace, the way the API
 * server means to be followed (its "Efficient detection of changes"): list,
 * then watch from the list's resourceVersion with bookmarks and a server-side
 * timeout, carrying the resourceVersion of every event on. When the watch ends
 * it is opened again from there; a 410 Gone (the status, or an `ERROR` event —
 * the history was compacted) drops the resourceVersion, and the next list
 * replaces the whole set, so pods deleted meanwhile go. Failures are retried
 * with jittered exponential backoff; an idle watchdog ends a watch that has
 * sent nothing for longer than its server timeout (a half-open connection).
 * A 401 or 403 is logged once, with the permission that is missing, until a
 * request succeeds again; the pods known so far are kept meanwhile.
 *
 * fnlb watched without a list, keyed pods by `selfLink` (empty since 1.20)
 * and never reopened a closed watch; pods are keyed by UID here.
 * @module
 */
import type { Logger } from '../logger.ts';
import { jitteredBackoff, WakeableSleep } from '../backoff.ts';
import { SYSTEM_TIMERS } from '../deps.ts';
import type { ApiFetch } from './api-fetch.ts';
import type { KubeCredentials } from './credentials.ts';
import { takesRequests, viewPod, type FunctionNaming, type PodObject, type PodView } from './pod-view.ts';

/** Pods asked per list page. */
export const LIST_PAGE = 500;
/** The watch's server-side timeout is drawn from this range, seconds (client-go draws 5–10 min). */
export const WATCH_TIMEOUT_S: readonly [number, number] = [240, 300];
/** The idle watchdog allows this long past the server timeout, ms. */
export const WATCH_IDLE_GRACE_MS = 30_000;
/** A list page that has not arrived whole after this is given up (a half-open connection), ms. */
export const LIST_TIMEOUT_MS = 60_000;
/** Backoff between failed attempts: first step and ceiling, ms. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** A request the API server refused. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What discovery reports for /metrics and /1/lb/stats. */
export interface DiscoveryStats {
  namespace: string;
  labelSelector: string;
  /** Pods the selector picks, as last seen. */
  podsSeen: number;
  /** Of those, the ones taking new requests (Ready, an IP, not terminating). */
  podsReady: number;
  /** Wall-clock ms of the last list or watch event (bookmarks included); undefined before the first. */
  lastEventAt: number | undefined;
  /** Lists after the first: 410 Gone, or a watch that could not resume. */
  relists: number;
  /** Watches opened. */
  watches: number;
  /** Failed attempts (network, HTTP errors). */
  errors: number;
}

/** Options of {@link PodFollower}. */
export interface PodFollowerOptions {
  credentials: KubeCredentials;
  fetch: ApiFetch;
  namespace: string;
  /** A label selector, or empty for every pod of the namespace. */
  labelSelector: string;
  naming: FunctionNaming;
  logger: Logger;
  random: () => number;
  /** Wall-clock ms. */
  now: () => number;
  /** Called with every pod known, keyed by UID, after each change. */
  onChange: (pods: ReadonlyMap<string, PodView>) => void;
  /** Overrides of {@link WATCH_TIMEOUT_S} and the backoff (tests). */
  watchTimeoutS?: readonly [number, number];
  backoffMaxMs?: number;
}

/** One watch event as the API server streams it (a JSON line). */
interface WatchEvent {
  type?: string;
  object?: PodObject & { code?: number; message?: string; metadata?: { resourceVersion?: string } };
}

/** Follows pods until closed; see the module comment. */
export class PodFollower {
  private readonly o: PodFollowerOptions;
  private pods = new Map<string, PodView>();
  private resourceVersion: string | undefined;
  private closed = false;
  private abort: AbortController | undefined;
  private readonly sleeper = new WakeableSleep(SYSTEM_TIMERS);
  private loop: Promise<void> | undefined;
  private authLogged = false;
  private listed = false;
  private readonly stat: DiscoveryStats;

  constructor(options: PodFollowerOptions) {
    this.o = options;
    this.stat = { namespace: options.namespace, labelSelector: options.labelSelector, podsSeen: 0, podsReady: 0, lastEventAt: undefined, relists: 0, watches: 0, errors: 0 };
  }

  /** Starts following (in the background). */
  start(): void {
    this.loop ??= this.run();
  }

  /** A copy of the figures. */
  stats(): DiscoveryStats {
    return { ...this.stat };
  }

  /** Stops following; resolves when the loop has ended. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    this.sleeper.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        if (this.resourceVersion === undefined) {
          await this.list();
          failures = 0;
        }
        const progressed = await this.watch();
        if (progressed) failures = 0;
        else await this.sleeper.sleep(jitteredBackoff(failures++, BACKOFF_BASE_MS, this.o.backoffMaxMs ?? BACKOFF_MAX_MS, this.o.random));
      } catch (err) {
        if (this.closed) break;
        this.stat.errors++;
        this.report(err);
        await this.sleeper.sleep(jitteredBackoff(failures++, BACKOFF_BASE_MS, this.o.backoffMaxMs ?? BACKOFF_MAX_MS, this.o.random));
      }
    }
  }

  /** Logs a failure; a 401/403 once until a request succeeds. */
  private report(err: unknown): void {
    if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) {
      if (this.authLogged) return;
      this.authLogged = true;
      const need = `get, list and watch on pods in namespace ${this.o.namespace}`;
      const what = err.status === 401 ? 'the API server does not accept golb\'s credentials (401)' : `forbidden (403): golb's account needs ${need}`;
      this.o.logger.error(`kubernetes: ${what}; retrying with backoff, serving the pods known so far`, { reason: err.message, origin: this.o.credentials.origin });
      return;
    }
    this.o.logger.warn('kubernetes: following pods failed; retrying', { reason: String(err instanceof Error ? err.message : err) });
  }

  private url(params: Record<string, string>): string {
    const q = new URLSearchParams(params);
    if (this.o.labelSelector !== '') q.set('labelSelector', this.o.labelSelector);
    return `${this.o.credentials.server}/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/pods?${q}`;
  }

  private async get(url: string, signal: AbortSignal): Promise<Response> {
    const token = await this.o.credentials.token();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await this.o.fetch(url, { headers, signal });
    if (res.status === 200) {
      if (this.authLogged) this.o.logger.info('kubernetes: the API server accepts golb\'s requests again');
      this.authLogged = false;
      return res;
    }
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      message = String((JSON.parse(text) as { message?: string }).message ?? message);
    } catch {
      // not a Status object
    }
    throw new KubeApiError(res.status, `HTTP ${res.status}: ${message}`);
  }

  /** Lists every page and replaces the pod set; sets the resourceVersion to watch from. */
  private async list(): Promise<void> {
    const fresh = new Map<string, PodView>();
    let cont = '';
    let rv: string | undefined;
    do {
      const abort = (this.abort = new AbortController());
      const timer = setTimeout(() => abort.abort(new Error(`list page not received in ${LIST_TIMEOUT_MS} ms`)), LIST_TIMEOUT_MS);
      let page: { items?: PodObject[]; metadata?: { resourceVersion?: string; continue?: string } };
      try {
        const res = await this.get(this.url({ limit: String(LIST_PAGE), ...(cont === '' ? {} : { continue: cont }) }), abort.signal);
        page = (await res.json()) as typeof page;
      } finally {
        clearTimeout(timer);
      }
      for (const item of page.items ?? []) {
        const view = viewPod(item, this.o.naming);
        if (view !== undefined) fresh.set(view.uid, view);
      }
      rv = page.metadata?.resourceVersion;
      cont = page.metadata?.continue ?? '';
    } while (cont !== '' && !this.closed);
    if (this.closed) return;
    if (this.listed) this.stat.relists++;
    this.listed = true;
    this.pods = fresh;
    this.resourceVersion = rv;
    this.changed();
  }

  /**
   * One watch from the current resourceVersion until the server ends it;
   * true when it delivered anything (so the next one opens at once).
   */
  private async watch(): Promise<boolean> {
    const [lo, hi] = this.o.watchTimeoutS ?? WATCH_TIMEOUT_S;
    const timeoutS = Math.round(lo + this.o.random() * (hi - lo));
    const abort = (this.abort = new AbortController());
    const idleMs = timeoutS * 1000 + WATCH_IDLE_GRACE_MS;
    let idle = setTimeout(() => abort.abort(new Error(`watch idle for ${idleMs} ms`)), idleMs);
    let progressed = false;
    try {
      const res = await this.get(
        this.url({ watch: '1', resourceVersion: this.resourceVersion ?? '', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutS) }),
        abort.signal,
      ).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 410) return undefined;
        throw err;
      });
      if (res === undefined) return this.gone();
      this.stat.watches++;
      if (res.body === null) return false;
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(new Error(`watch idle for ${idleMs} ms`)), idleMs);
        buffered += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          progressed = true;
          if (!this.apply(JSON.parse(line) as WatchEvent)) {
            await res.body.cancel().catch(() => undefined);
            return this.gone();
          }
        }
      }
      return progressed;
    } finally {
      clearTimeout(idle);
    }
  }

  /** The history is gone: relist next. */
  private gone(): boolean {
    this.o.logger.info('kubernetes: resourceVersion too old (410 Gone); listing again', { resourceVersion: this.resourceVersion });
    this.resourceVersion = undefined;
    return true;
  }

  /** Applies one event; false on a 410 ERROR event. */
  private apply(event: WatchEvent): boolean {
    const object = event.object ?? {};
    if (event.type === 'ERROR') {
      if (object.code === 410) return false;
      throw new KubeApiError(object.code ?? 500, `watch error: ${object.message ?? JSON.stringify(object)}`);
    }
    const rv = object.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') this.resourceVersion = rv;
    this.stat.lastEventAt = this.o.now();
    if (event.type === 'BOOKMARK') return true;
    const view = viewPod(object, this.o.naming);
    if (view === undefined) return true;
    if (event.type === 'DELETED') this.pods.delete(view.uid);
    else this.pods.set(view.uid, view);
    this.changed();
    return true;
  }

  private changed(): void {
    this.stat.lastEventAt = this.o.now();
    this.stat.podsSeen = this.pods.size;
    let ready = 0;
    for (const p of this.pods.values()) if (takesRequests(p)) ready++;
    this.stat.podsReady = ready;
    this.o.onChange(this.pods);
  }
}
