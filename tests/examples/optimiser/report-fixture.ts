/** Load reports as gateways write them (`app/load/report.ts`), built from a few figures. */
import type { BackendLoad, FunctionLoad, LoadReport } from '../../../app/load/report.ts';

/** A backend's figures: [answered requests, p50 ms]. */
export type Figures = [requests: number, p50: number];

function backendLoad([requests, p50]: Figures): BackendLoad {
  return {
    requests,
    rate: requests / 5,
    inFlight: 0,
    errors: { refused: 0, reset: 0, timeout: 0, status5xx: 0 },
    latencyMs: requests > 0 ? { p50, p99: p50 * 2 } : null,
    ewmaMs: p50,
    health: 'up',
    weight: 1,
    gateway: false,
  };
}

/** A report of `node` at `time` (ISO) over 5 s: per function, per backend address, its figures. */
export function report(zone: string, node: string, time: string, functions: Record<string, Record<string, Figures>>, part?: LoadReport['part']): LoadReport {
  const fns: Record<string, FunctionLoad> = {};
  for (const [fn, backends] of Object.entries(functions)) {
    const loads = Object.fromEntries(Object.entries(backends).map(([address, f]) => [address, backendLoad(f)]));
    const requests = Object.values(backends).reduce((a, [r]) => a + r, 0);
    fns[fn] = { requests, rate: requests / 5, inFlight: 0, rejected: {}, latencyMs: null, weightsRevision: 7, backends: loads };
  }
  return { schema: 1, zone, node, time, windowMs: 5_000, ...(part ? { part } : {}), functions: fns };
}
