/**
 * Active health: with a health path set, every distinct backend address of the
 * weights table is probed once per interval with `GET <path>`, however many
 * functions list it. A backend is taken out (`state.healthy = false`) after
 * `unhealthy` failed probes in a row — a status outside 2xx, a failed
 * connection, or no complete answer within the probe timeout — and put back
 * after `healthy` passed ones (fnlb's thresholds: 2 and 1). Another zone's
 * gateway is a golb and is probed at its liveness path, `/healthz`.
 *
 * Rounds start every interval whatever the previous round is doing; an address
 * whose probe is still running (a timeout longer than the interval) is skipped,
 * so probes of one address never overlap. The set of addresses is read from
 * the table at each round, so functions that come and go are followed; the
 * counts of an address no longer listed are forgotten.
 *
 * With `checkBody` (the node pool's `--min-api-version`), a 2xx answer's body
 * is judged too: a refused body takes the backend out at once, whatever the
 * threshold, since a wrong version does not heal by itself; a backend is out
 * from the round that first sees it until its first probe is judged; a refusal
 * is logged at WARN when it starts or its reason changes, and its end at INFO.
 *
 * A backend that has not passed one probe since it was listed, after
 * `unhealthy` tries (it hangs, times out or refuses connections from the
 * start), is logged at WARN once: with `checkBody` it was out from the start,
 * so no "taken out" line would ever say so.
 *
 * The verdict is kept apart from passive marks (`passive.ts`): a probe does not
 * clear a mark, a failed request does not fail the probe. Probes go through the
 * proxy engine, on the same keep-alive connections as the traffic.
 * @module
 */
import type { Logger } from '../logger.ts';
import type { ProxyEngine, HeaderLines } from '../proxy/engine.ts';
import { textHeaderLines } from '../proxy/forward-headers.ts';
import type { WeightTable } from '../weight-table.ts';
import type { Backend } from '../../strategies/strategy.ts';

/** Where another zone's gateway is probed: golb's liveness route. */
export const GATEWAY_HEALTH_PATH = '/healthz';
/** Most bytes of a probe's answer read before the rest is dropped. */
const MAX_PROBE_BODY = 64 * 1024;

/** Options of {@link ActiveHealth}. */
export interface ActiveHealthOptions {
  table: WeightTable;
  engine: ProxyEngine;
  logger: Logger;
  /** Path probed on pods (`eb_go_lb_health_path`). */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Failed probes in a row that take a backend out. */
  unhealthy: number;
  /** Passed probes in a row that put it back. */
  healthy: number;
  /** This gateway's name, sent in `User-Agent` so a backend can tell probes from traffic. */
  nodeName: string;
  /** Judges a 2xx answer's body (at most 64 KiB, as text): undefined accepts, a reason refuses the backend. */
  checkBody?: (body: string) => string | undefined;
}

/** A probe's outcome: passed, failed (counts towards the threshold), or refused by `checkBody` (out at once). */
type ProbeOutcome = { kind: 'pass' } | { kind: 'fail' | 'refused'; reason: string };
const PASSED: ProbeOutcome = { kind: 'pass' };

/** One address's probe bookkeeping. */
interface ProbeRecord {
  probing: boolean;
  /** Failed probes in a row. */
  fails: number;
  /** Passed probes in a row. */
  passes: number;
  /** Why `checkBody` refused the backend's last judged answer; undefined when it accepted it. */
  refusal: string | undefined;
  /** A probe passed (or was judged) since the address was listed, or the never-passed WARN was logged: nothing more to say. */
  settled: boolean;
}

/** The prober. {@link start} runs rounds on the interval; tests call {@link round} directly. */
export class ActiveHealth {
  private readonly options: ActiveHealthOptions;
  private readonly records = new Map<string, ProbeRecord>();
  private readonly aborts = new Set<AbortController>();
  private readonly headers: HeaderLines;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private closed = false;

  constructor(options: ActiveHealthOptions) {
    this.options = options;
    this.headers = textHeaderLines(`User-Agent: golb-health-check/${options.nodeName}\r\nAccept: */*\r\n`);
  }

  /** Starts probing: a round now, then one per interval. */
  start(): void {
    const tick = () => {
      if (this.closed) return;
      void this.round();
      this.timer = setTimeout(tick, this.options.intervalMs);
    };
    tick();
  }

  /** Stops the rounds and abandons probes in flight. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const abort of this.aborts) abort.abort();
    this.aborts.clear();
  }

  /**
   * One round: probes every distinct address of the table that has no probe
   * running, and resolves when those probes have ended and been counted.
   */
  round(): Promise<void> {
    const backends = this.addresses();
    for (const address of this.records.keys()) if (!backends.has(address)) this.records.delete(address);
    const probes: Promise<void>[] = [];
    for (const [address, backend] of backends) {
      let record = this.records.get(address);
      if (record === undefined) {
        this.records.set(address, (record = { probing: false, fails: 0, passes: 0, refusal: undefined, settled: false }));
        // With a body check, a backend is not used before its answer is judged.
        if (this.options.checkBody !== undefined) backend.state.healthy = false;
      }
      if (record.probing) continue;
      record.probing = true;
      probes.push(this.probeAndCount(backend, record));
    }
    return Promise.all(probes).then(() => undefined);
  }

  /** Every distinct address of the table, with one of its backends. */
  private addresses(): Map<string, Backend> {
    const out = new Map<string, Backend>();
    const { table } = this.options;
    for (const fn of table.names()) {
      const entry = table.get(fn);
      if (entry === undefined) continue;
      for (const b of entry.backends) if (!out.has(b.address)) out.set(b.address, b);
    }
    return out;
  }

  private async probeAndCount(backend: Backend, record: ProbeRecord): Promise<void> {
    const outcome = await this.probe(backend);
    record.probing = false;
    if (this.closed) return;
    const { logger, unhealthy, healthy } = this.options;
    const state = backend.state;
    if (outcome.kind !== 'fail') record.settled = true;
    if (outcome.kind === 'refused') {
      record.passes = 0;
      record.fails++;
      state.healthy = false;
      if (record.refusal !== outcome.reason) logger.warn('backend refused: kept out', { backend: backend.address, reason: outcome.reason });
      record.refusal = outcome.reason;
      return;
    }
    if (outcome.kind === 'pass' && record.refusal !== undefined) {
      record.refusal = undefined;
      logger.info('backend no longer refused', { backend: backend.address });
    }
    if (outcome.kind === 'pass') {
      record.fails = 0;
      record.passes++;
      if (!state.healthy && record.passes >= healthy) {
        state.healthy = true;
        logger.info('backend passed its health checks: back in', { backend: backend.address, passes: record.passes });
      }
    } else {
      record.passes = 0;
      record.fails++;
      if (!record.settled && record.fails >= unhealthy) {
        record.settled = true;
        state.healthy = false;
        logger.warn('backend has not passed a health check since it was listed: kept out', { backend: backend.address, fails: record.fails, reason: outcome.reason, path: backend.gateway ? GATEWAY_HEALTH_PATH : this.options.path });
      } else if (state.healthy && record.fails >= unhealthy) {
        state.healthy = false;
        logger.info('backend failed its health checks: taken out', { backend: backend.address, fails: record.fails, reason: outcome.reason });
      } else logger.debug('health check failed', { backend: backend.address, fails: record.fails, reason: outcome.reason });
    }
  }

  /** One probe and its outcome. Never rejects. */
  private async probe(backend: Backend): Promise<ProbeOutcome> {
    const { engine, timeoutMs, checkBody } = this.options;
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await engine.request({
        method: 'GET',
        target: backend.gateway ? GATEWAY_HEALTH_PATH : this.options.path,
        host: backend.host,
        port: backend.port,
        address: backend.address,
        headers: this.headers,
        body: null,
        bodyLength: undefined,
        maxBodySize: 0,
        signal: abort.signal,
      });
      // Read the answer to its end (the connection then goes back to the pool): it counts only when complete.
      const judged = checkBody !== undefined && !backend.gateway;
      const body = res.body === null ? '' : await drain(res.body.stream(), abort.signal, judged);
      if (abort.signal.aborted) return { kind: 'fail', reason: 'timed out' };
      if (res.status < 200 || res.status > 299) return { kind: 'fail', reason: `status ${res.status}` };
      const refusal = judged ? checkBody(body) : undefined;
      return refusal === undefined ? PASSED : { kind: 'refused', reason: refusal };
    } catch (err) {
      return { kind: 'fail', reason: abort.signal.aborted ? 'timed out' : err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }
}

/**
 * Reads a body to its end, dropping it unless `keep` (then it is returned as
 * text); past {@link MAX_PROBE_BODY}, or when `signal` fires (the probe timed
 * out), the rest is cancelled.
 */
async function drain(body: ReadableStream<Uint8Array>, signal: AbortSignal, keep: boolean): Promise<string> {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    const chunks = await readToEnd(reader, keep);
    return keep ? Buffer.concat(chunks).toString('utf8') : '';
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>, keep: boolean): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    total += value.length;
    if (total > MAX_PROBE_BODY) {
      await reader.cancel().catch(() => undefined);
      return chunks;
    }
    if (keep) chunks.push(value);
  }
}
