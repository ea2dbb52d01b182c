/**
 * The load reports' loop: every `eb_go_lb_load_report_interval` it builds the
 * report of the window now ending (`report-builder.ts`) on a timer, off the
 * request path, keeps it for `GET /1/lb/load` (serialized once, on its first
 * read), and with etcd hands it, split when too large (`report-parts.ts`), to
 * the publisher (`report-publisher.ts`).
 *
 * A build reads counters the request path keeps anyway, so reports cost a
 * proxied request nothing; a build costs a walk of the observer's records and
 * of the reported functions' backends.
 * @module
 */
import { jsonAnswer, type Answer } from '../answer-cache.ts';
import type { Logger } from '../logger.ts';
import type { MetricsObserver } from '../metrics/observer.ts';
import type { Timers } from '../timers.ts';
import type { WeightTable } from '../weight-table.ts';
import type { BackendStates } from '../../strategies/backend-state.ts';
import { buildLoadReport, firstMark, type ReportMark } from './report-builder.ts';
import { splitReport } from './report-parts.ts';
import type { LoadPublisher } from './report-publisher.ts';
import type { LoadReport } from './report.ts';

/** Options of {@link LoadReports}. */
export interface LoadReportsOptions {
  intervalMs: number;
  zone: string;
  node: string;
  observer: Pick<MetricsObserver, 'functions' | 'recordingSecond'>;
  table: Pick<WeightTable, 'get' | 'isGateway'>;
  states: Pick<BackendStates, 'peek'>;
  /** The etcd revision of a function's value (`WeightSource.revisionOf`). */
  revisionOf(fn: string): number | undefined;
  /** Wall-clock ms. */
  now(): number;
  /** Monotonic ms. */
  monotonic(): number;
  timers: Timers;
  logger: Logger;
  /** Writes each report to etcd; absent without etcd. */
  publisher?: LoadPublisher | undefined;
}

/** Builds a report every interval and keeps the latest; see the module comment. */
export class LoadReports {
  private readonly opts: LoadReportsOptions;
  private mark: ReportMark;
  private report: LoadReport | undefined;
  private answer: Answer | undefined;
  private timer: unknown;

  constructor(opts: LoadReportsOptions) {
    this.opts = opts;
    this.mark = firstMark(opts.monotonic(), opts.observer.recordingSecond());
  }

  /** The interval, ms. */
  get intervalMs(): number {
    return this.opts.intervalMs;
  }

  /** Reports written to etcd and not written; undefined without etcd. */
  get writes(): { written: number; failed: number } | undefined {
    const publisher = this.opts.publisher;
    return publisher === undefined ? undefined : { written: publisher.written, failed: publisher.failed };
  }

  /** Starts building a report every interval. */
  start(): void {
    this.timer ??= this.opts.timers.every(this.opts.intervalMs, () => this.reportNow());
  }

  /** Builds the report of the window ending now, keeps it, and publishes it; never throws (a timer runs it). */
  reportNow(): LoadReport | undefined {
    const o = this.opts;
    try {
      const inputs = {
        zone: o.zone,
        node: o.node,
        functions: o.observer.functions,
        table: o.table,
        states: o.states,
        revisionOf: o.revisionOf,
        wallMs: o.now(),
        monotonicMs: o.monotonic(),
        second: o.observer.recordingSecond(),
      };
      const { report, mark } = buildLoadReport(inputs, this.mark);
      this.mark = mark;
      this.report = report;
      this.answer = undefined;
      o.publisher?.publish(splitReport(report));
      return report;
    } catch (err) {
      o.logger.error('load report not built', { reason: String(err), stack: err instanceof Error ? err.stack : undefined });
      return undefined;
    }
  }

  /** The latest report; undefined before the first. */
  get latest(): LoadReport | undefined {
    return this.report;
  }

  /** The latest report as `GET /1/lb/load` answers it, serialized once per report. */
  latestAnswer(): Answer | undefined {
    if (this.report === undefined) return undefined;
    return (this.answer ??= jsonAnswer(this.report));
  }

  /** Stops the timer and the publisher (which revokes its lease: the report leaves etcd at once). */
  async close(): Promise<void> {
    if (this.timer !== undefined) this.opts.timers.cancel(this.timer);
    this.timer = undefined;
    await this.opts.publisher?.close();
  }
}
