/**
 * The last minute of golb's own answers by reason: the error codes it
 * answered itself (`unknown_function`, `bad_request`, `loop_detected`,
 * `no_backend`, …), the route's refusals and the server's alike. The
 * dashboard shows them next to the backends' errors (`/1/lb/stats`'s
 * `rejected`), so a quarter of the traffic answered 404 is not one error.
 *
 * A ring of one-second slots with one count per error code, allocated once:
 * recording finds its slot and bumps a number, allocating nothing. A slot is
 * cleared when its second comes round again; one not in the last minute is
 * read as empty.
 * @module
 */
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { WINDOW_SECONDS } from './latency-window.ts';

/** Every error code, in a fixed order: a slot's counts are in it. */
const CODES = Object.keys(ERROR_STATUS) as ErrorCode[];
const CODE_INDEX = Object.fromEntries(CODES.map((code, i) => [code, i])) as Record<ErrorCode, number>;

/** golb's own answers over the last minute, by error code. */
export class RejectionWindow {
  /** {@link CODES}.length counts per slot. */
  private readonly counts = new Float64Array(WINDOW_SECONDS * CODES.length);
  /** The Unix second each slot holds; -1: never used. */
  private readonly stamps = new Float64Array(WINDOW_SECONDS).fill(-1);

  /** Counts one answer with `code` in Unix second `second`. */
  record(code: ErrorCode, second: number): void {
    const slot = second % WINDOW_SECONDS;
    const at = slot * CODES.length;
    if (this.stamps[slot] !== second) {
      this.counts.fill(0, at, at + CODES.length);
      this.stamps[slot] = second;
    }
    this.counts[at + (CODE_INDEX[code] ?? CODE_INDEX.internal)]!++;
  }

  /** The counts of the minute up to Unix second `second`, by code; codes with none left out, the largest first. */
  byReason(second: number): Record<string, number> {
    const totals = new Float64Array(CODES.length);
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      const stamp = this.stamps[slot]!;
      if (stamp < 0 || stamp > second || stamp <= second - WINDOW_SECONDS) continue;
      for (let i = 0; i < CODES.length; i++) totals[i]! += this.counts[slot * CODES.length + i]!;
    }
    const order = CODES.map((_, i) => i).filter((i) => totals[i]! > 0).sort((a, b) => totals[b]! - totals[a]! || (CODES[a]! < CODES[b]! ? -1 : 1));
    const out: Record<string, number> = {};
    for (const i of order) out[CODES[i]!] = totals[i]!;
    return out;
  }
}
