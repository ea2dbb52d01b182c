/**
 * Writes a gateway's load report to etcd, where the optimisers read the whole
 * zone with one prefix read of `golb/load/<zone>/`:
 *
 * - `golb/load/<zone>/<node>` holds the report, or its part 0 when it was
 *   split (`report-parts.ts`); part i ≥ 1 is `golb/load/<zone>/<node>/<i>`.
 *   Parts left over from an earlier, larger report are deleted once the new
 *   ones are written; the parts an earlier process of the same node left are
 *   deleted before the first write.
 * - Every key is on one lease of {@link leaseSeconds} (three intervals, at
 *   least 5 s), kept alive by one keep-alive before each write: a gateway
 *   that dies (SIGKILL, a power cut, a partition) disappears when its lease
 *   runs out, with no one cleaning up. A gateway that stops cleanly revokes
 *   its lease, and its report goes at once. An expired lease (etcd was out of
 *   reach longer than the TTL) is replaced by a new one.
 *
 * Writes run one at a time, off the request path; a report built while a
 * write is still going waits, and only the newest waiting one is written.
 * A failed write is counted ({@link LoadPublisher.failed}, in `/metrics`)
 * and logged once per outage: a WARN at the first failure, an INFO when a
 * write succeeds again. Nothing here throws to its caller.
 *
 * The I/O goes through the process's one etcd client (`app/etcd/client.ts`),
 * which the weight source and the node pool share.
 * @module
 */
import type { Etcd3 } from 'etcd3';
import { CALL_TIMEOUT_MS, type EtcdClient } from '../etcd/client.ts';
import type { Logger } from '../logger.ts';
import type { Timers } from '../timers.ts';
import type { LoadReport } from './report.ts';

/** Shortest lease: with a 1 s interval, a pause of a second or two must not drop a live gateway. */
export const MIN_LEASE_SECONDS = 5;

/** How long a clean stop waits for a write under way, then for the lease's revocation. */
const REVOKE_WAIT_MS = 2_000;

/** The prefix under which a zone's gateways report. */
export function loadPrefix(zone: string): string {
  return `golb/load/${zone}/`;
}

/** The key of part `index` of `node`'s report (0: the report itself). */
export function reportKey(zone: string, node: string, index = 0): string {
  return index === 0 ? `${loadPrefix(zone)}${node}` : `${loadPrefix(zone)}${node}/${index}`;
}

/** The lease's time to live for a report interval: three intervals, at least {@link MIN_LEASE_SECONDS}. */
export function leaseSeconds(intervalMs: number): number {
  return Math.max(MIN_LEASE_SECONDS, Math.ceil((3 * intervalMs) / 1000));
}

/** Options of {@link LoadPublisher}. */
export interface LoadPublisherOptions {
  client: EtcdClient;
  zone: string;
  node: string;
  intervalMs: number;
  logger: Logger;
  timers: Timers;
}

/** Settles with `promise`, or rejects once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, timers: Timers, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = timers.setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        timers.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        timers.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * One keep-alive of lease `id` on a stream of its own, ended after the
 * answer; resolves the lease's remaining TTL (0 or less: expired).
 */
async function keepAliveOnce(etcd: Etcd3, id: string, timers: Timers): Promise<number> {
  const opening = etcd.leaseClient.leaseKeepAlive();
  let stream: Awaited<typeof opening>;
  try {
    stream = await within(opening, CALL_TIMEOUT_MS, timers, 'lease keep-alive');
  } catch (err) {
    // A stream that opens after all is closed at once, not left behind.
    opening.then((late) => late.cancel(), () => undefined);
    throw err;
  }
  const answer = new Promise<number>((resolve, reject) => {
    stream.on('data', (res) => resolve(Number(res.TTL)));
    stream.on('error', reject);
    stream.on('end', () => reject(new Error('lease keep-alive: the stream ended without an answer')));
    stream.write({ ID: id });
  });
  try {
    return await within(answer, CALL_TIMEOUT_MS, timers, 'lease keep-alive');
  } finally {
    stream.cancel();
  }
}

/** Writes reports to etcd; see the module comment. */
export class LoadPublisher {
  /** Reports written. */
  written = 0;
  /** Reports not written (etcd out of reach, a refused write). */
  failed = 0;
  private readonly opts: LoadPublisherOptions;
  private lease: string | undefined;
  /** Parts this process may have in etcd now: the ones past a new report's count are deleted. */
  private partsInStore = 0;
  /** The parts an earlier process under this node's name left are deleted (before the first write). */
  private cleared = false;
  /** Failures since the last write that succeeded (the outage's, logged once). */
  private failing = 0;
  private waiting: LoadReport[] | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(opts: LoadPublisherOptions) {
    this.opts = opts;
  }

  /** The report's first key. */
  get key(): string {
    return reportKey(this.opts.zone, this.opts.node);
  }

  /** Writes `parts` (a report, or its parts in order) once the write before is done. */
  publish(parts: LoadReport[]): void {
    if (this.closed) return;
    this.waiting = parts;
    this.running ??= this.drain();
  }

  /** Resolves once no write is under way (the waiting ones written or failed). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.waiting !== undefined && !this.closed) {
      const parts = this.waiting;
      this.waiting = undefined;
      try {
        await this.write(parts);
        this.succeeded(parts.length);
      } catch (err) {
        this.failedWith(err, parts.length);
      }
    }
    this.running = undefined;
  }

  private async write(parts: LoadReport[]): Promise<void> {
    const { client, zone, node } = this.opts;
    const etcd = client.etcd3;
    const lease = await this.liveLease(etcd);
    if (!this.cleared) {
      await etcd.delete().prefix(`${reportKey(zone, node)}/`).exec();
      this.cleared = true;
    }
    for (let i = 0; i < parts.length; i++) {
      await etcd.kv.put({ key: Buffer.from(reportKey(zone, node, i)), value: Buffer.from(JSON.stringify(parts[i])), lease });
      this.partsInStore = Math.max(this.partsInStore, i + 1);
    }
    for (let i = this.partsInStore - 1; i >= parts.length; i--) {
      await etcd.kv.deleteRange({ key: Buffer.from(reportKey(zone, node, i)) });
      this.partsInStore = i;
    }
  }

  /** The lease, kept alive now; a new one when there is none or it expired (its keys went with it). */
  private async liveLease(etcd: Etcd3): Promise<string> {
    if (this.lease !== undefined) {
      const ttl = await keepAliveOnce(etcd, this.lease, this.opts.timers);
      if (ttl > 0) return this.lease;
      this.lease = undefined;
      this.partsInStore = 0;
    }
    const granted = await etcd.leaseClient.leaseGrant({ TTL: leaseSeconds(this.opts.intervalMs), ID: 0 });
    this.lease = String(granted.ID);
    return this.lease;
  }

  private succeeded(parts: number): void {
    this.written++;
    if (this.failing === 0) return;
    this.opts.logger.info('load reports written to etcd again', { key: this.key, failed: this.failing, parts });
    this.failing = 0;
  }

  private failedWith(err: unknown, parts: number): void {
    this.failed++;
    const reason = err instanceof Error ? err.message : String(err);
    // A lease etcd no longer knows (it expired while the write was under way): the next write takes a new one.
    if (/lease not found/i.test(reason)) {
      this.lease = undefined;
      this.partsInStore = 0;
    }
    if (this.failing++ > 0) return;
    this.opts.logger.warn('load report not written to etcd; trying again every interval (logged once until a write succeeds)', { key: this.key, parts, reason });
  }

  /** Stops writing: waits for a write under way, then revokes the lease (the report goes at once). */
  async close(): Promise<void> {
    this.closed = true;
    try {
      // A write under way against an etcd out of reach would hold golb's exit for its whole call timeout.
      if (this.running !== undefined) await within(this.running, REVOKE_WAIT_MS, this.opts.timers, 'the last load report write');
    } catch {
      // It fails or succeeds on its own; the lease runs out either way.
    }
    const lease = this.lease;
    this.lease = undefined;
    if (lease === undefined) return;
    try {
      await within(this.opts.client.etcd3.leaseClient.leaseRevoke({ ID: lease }), REVOKE_WAIT_MS, this.opts.timers, 'lease revoke');
    } catch (err) {
      this.opts.logger.debug('load report lease not revoked; it runs out on its own', { key: this.key, reason: String(err) });
    }
  }
}
