/**
 * Reading the zone's load reports: the etcd values under `golb/load/<zone>/`,
 * one per gateway (`app/load/report.ts` is their schema), each turned into a
 * whole report. A gateway whose report is too large for one etcd value writes
 * it in parts, each under its own key with `part: {index, count}`: the parts of
 * one report share the node and the time, and the report counts only once all
 * of them are in (a gateway writing its parts one by one may be caught half
 * way; the next round sees the rest). A pure module: the values in, reports out.
 * @module
 */
import { LOAD_REPORT_SCHEMA, type BackendLoad, type FunctionLoad, type LoadReport } from '../../app/load/report.ts';

/** One gateway's report for one window, its parts joined. */
export interface GatewayReport {
  node: string;
  /** When its window ended, ms since the epoch. */
  timeMs: number;
  windowMs: number;
  functions: Record<string, FunctionLoad>;
}

/** What the values held: the whole reports, and one line per value that could not be used. */
export interface DecodedReports {
  reports: GatewayReport[];
  problems: { key: string; reason: string }[];
}

/** The reason `value` is not a report of `zone` that this optimiser understands, or undefined. */
function refusal(value: unknown, zone: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const r = value as Partial<LoadReport>;
  if (r.schema !== LOAD_REPORT_SCHEMA) return `schema ${JSON.stringify(r.schema)}, this optimiser reads ${LOAD_REPORT_SCHEMA}`;
  if (r.zone !== zone) return `zone ${JSON.stringify(r.zone)}, not ${zone}`;
  if (typeof r.node !== 'string' || typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) return 'no node or time';
  if (typeof r.windowMs !== 'number' || !(r.windowMs > 0)) return 'no windowMs';
  if (typeof r.functions !== 'object' || r.functions === null) return 'no functions';
  if (r.part !== undefined && !(Number.isInteger(r.part.index) && Number.isInteger(r.part.count) && r.part.index >= 0 && r.part.index < r.part.count)) {
    return 'a malformed part';
  }
  return undefined;
}

/** Adds `from`'s functions to `into`; a function found in two parts gets the backends of both. */
function mergeFunctions(into: Record<string, FunctionLoad>, from: Record<string, FunctionLoad>): void {
  for (const [fn, load] of Object.entries(from)) {
    const had = into[fn];
    into[fn] = had === undefined ? load : { ...had, backends: { ...had.backends, ...load.backends } };
  }
}

/** The whole reports in `values` (key → JSON text, as etcd's prefix read gives them). */
export function decodeReports(values: Record<string, string>, zone: string): DecodedReports {
  const problems: DecodedReports['problems'] = [];
  // The parts of one report, by node and time.
  const groups = new Map<string, { parts: Map<number, LoadReport>; count: number }>();
  for (const [key, text] of Object.entries(values)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      problems.push({ key, reason: 'not valid JSON' });
      continue;
    }
    const reason = refusal(value, zone);
    if (reason !== undefined) {
      problems.push({ key, reason });
      continue;
    }
    const report = value as LoadReport;
    const id = `${report.node}\n${report.time}`;
    const group = groups.get(id) ?? { parts: new Map(), count: report.part?.count ?? 1 };
    groups.set(id, group);
    group.parts.set(report.part?.index ?? 0, report);
  }
  const reports: GatewayReport[] = [];
  for (const { parts, count } of groups.values()) {
    if (parts.size < count) continue; // not all parts written yet
    const first = parts.values().next().value!;
    const functions: Record<string, FunctionLoad> = {};
    for (const part of parts.values()) mergeFunctions(functions, part.functions);
    reports.push({ node: first.node, timeMs: Date.parse(first.time), windowMs: first.windowMs, functions });
  }
  return { reports, problems };
}

/**
 * The reports not used yet: the report under a gateway's key stays there
 * until the gateway's next one (or its lease ends), and an optimiser that runs
 * more often than gateways report would count one window twice. `lastUsed`
 * holds the time of each node's last report used; it is updated.
 */
export function freshReports(reports: readonly GatewayReport[], lastUsed: Map<string, number>): GatewayReport[] {
  const fresh: GatewayReport[] = [];
  // The newest report of each node (a split report may linger beside its successor).
  const newest = new Map<string, GatewayReport>();
  for (const r of reports) if ((newest.get(r.node)?.timeMs ?? -Infinity) < r.timeMs) newest.set(r.node, r);
  for (const r of newest.values()) {
    if (r.timeMs <= (lastUsed.get(r.node) ?? -Infinity)) continue;
    lastUsed.set(r.node, r.timeMs);
    fresh.push(r);
  }
  return fresh;
}

/** A backend's figures as a report gives them, when they are usable: answered requests and their p50. */
export function answered(load: BackendLoad | undefined): { requests: number; p50: number } | undefined {
  if (load === undefined || typeof load !== 'object') return undefined;
  const { requests, latencyMs } = load;
  if (typeof requests !== 'number' || !(requests > 0) || latencyMs === null || typeof latencyMs !== 'object') return undefined;
  const p50 = latencyMs.p50;
  return typeof p50 === 'number' && Number.isFinite(p50) && p50 >= 0 ? { requests, p50 } : undefined;
}
