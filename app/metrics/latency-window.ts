/**
 * The last minute of one function's requests to one backend: a ring of 60
 * one-second slots, each with a request count, an upstream-error count, a
 * latency sum and a small log-scale latency histogram. `/1/lb/stats` reads
 * per-second throughput and mean latency from the slots and p50/p99 from the
 * merged histograms.
 *
 * The histogram has {@link BINS} bins over time in units of 1/8 ms: bin 0 is
 * under 0.125 ms, bin 1 under 0.25 ms, then two bins per power of two (edges
 * 2^e and 1.5·2^e), so a quantile is off by at most a third of its value, up
 * to 98 s where the last bin takes everything longer. Finding a bin is integer
 * arithmetic (`Math.clz32`), and every array is allocated once: recording a
 * request allocates nothing.
 *
 * A slot is reused when its second comes round again; a slot whose stamp is
 * not in the last minute is stale and read as empty.
 * @module
 */

/** Seconds the window covers. */
export const WINDOW_SECONDS = 60;

/** Histogram bins per slot. */
export const BINS = 40;

/** Histogram units per millisecond. */
const UNITS_PER_MS = 8;

/** The histogram bin of a latency. */
export function binOf(latencyMs: number): number {
  const v = latencyMs * UNITS_PER_MS;
  if (!(v >= 2)) return v >= 1 ? 1 : 0;
  if (v >= 2 ** 30) return BINS - 1;
  const units = v | 0;
  const e = 31 - Math.clz32(units);
  const bin = 2 * e + ((units >>> (e - 1)) & 1);
  return bin < BINS ? bin : BINS - 1;
}

/** The lower edge of a bin, in ms. */
export function binLowerMs(bin: number): number {
  if (bin < 2) return bin / UNITS_PER_MS;
  return (2 ** (bin >> 1) * (1 + (bin & 1) / 2)) / UNITS_PER_MS;
}

/** The upper edge of a bin, in ms (the last bin's lower edge for the last bin). */
export function binUpperMs(bin: number): number {
  return bin >= BINS - 1 ? binLowerMs(BINS - 1) : binLowerMs(bin + 1);
}

/** One second of a window, as read. */
export interface SecondSample {
  /** Unix seconds of the slot's start. */
  second: number;
  requests: number;
  errors: number;
  /** Sum of the requests' latencies, ms. */
  latencySumMs: number;
}

/** A ring of one-second slots with latency histograms. */
export class LatencyWindow {
  private readonly stamps = new Float64Array(WINDOW_SECONDS).fill(-1);
  private readonly requests = new Uint32Array(WINDOW_SECONDS);
  private readonly errors = new Uint32Array(WINDOW_SECONDS);
  private readonly sums = new Float64Array(WINDOW_SECONDS);
  private readonly bins = new Uint32Array(WINDOW_SECONDS * BINS);

  /** Records a response after `latencyMs`, in Unix second `second`. */
  record(latencyMs: number, second: number): void {
    const slot = this.slot(second);
    this.requests[slot]!++;
    this.sums[slot]! += latencyMs;
    this.bins[slot * BINS + binOf(latencyMs)]!++;
  }

  /** Records an upstream error in Unix second `second`. */
  recordError(second: number): void {
    this.errors[this.slot(second)]!++;
  }

  /** The index of `second`'s slot, cleared first when it held an older second. */
  private slot(second: number): number {
    const slot = second % WINDOW_SECONDS;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
      this.sums[slot] = 0;
      this.bins.fill(0, slot * BINS, slot * BINS + BINS);
    }
    return slot;
  }

  /** True when a slot holds `second` or a later one inside the window ending at `now`. */
  private live(slot: number, now: number): boolean {
    const stamp = this.stamps[slot]!;
    return stamp > now - WINDOW_SECONDS && stamp <= now;
  }

  /** The non-empty seconds of the window ending at Unix second `now`, oldest first. */
  seconds(now: number): SecondSample[] {
    const out: SecondSample[] = [];
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      if (!this.live(slot, now) || (this.requests[slot] === 0 && this.errors[slot] === 0)) continue;
      out.push({ second: this.stamps[slot]!, requests: this.requests[slot]!, errors: this.errors[slot]!, latencySumMs: this.sums[slot]! });
    }
    return out.sort((a, b) => a.second - b.second);
  }

  /** True when nothing was recorded in the window ending at `now`. */
  idle(now: number): boolean {
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      if (this.live(slot, now) && (this.requests[slot] !== 0 || this.errors[slot] !== 0)) return false;
    }
    return true;
  }

  /**
   * Adds the histograms of the seconds from `from` to `to`, both included,
   * into `into` (length {@link BINS}); seconds older than the ring holds are
   * not there to add. The load reports read the seconds of their window
   * (`app/load/report-builder.ts`).
   */
  mergeSeconds(into: Float64Array, from: number, to: number): void {
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      const stamp = this.stamps[slot]!;
      if (stamp < from || stamp > to || this.requests[slot] === 0) continue;
      const base = slot * BINS;
      for (let b = 0; b < BINS; b++) into[b]! += this.bins[base + b]!;
    }
  }

  /** Adds the window's histogram (ending at `now`) into `into` (length {@link BINS}). */
  mergeInto(into: Float64Array, now: number): void {
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      if (!this.live(slot, now) || this.requests[slot] === 0) continue;
      const base = slot * BINS;
      for (let b = 0; b < BINS; b++) into[b]! += this.bins[base + b]!;
    }
  }
}

/** A fresh histogram to merge windows into. */
export function emptyHistogram(): Float64Array {
  return new Float64Array(BINS);
}

/**
 * The `q` quantile (0..1) of a merged histogram, in ms, interpolated linearly
 * inside its bin; undefined when the histogram is empty.
 */
export function quantileMs(histogram: Float64Array, q: number): number | undefined {
  let total = 0;
  for (let b = 0; b < BINS; b++) total += histogram[b]!;
  if (total === 0) return undefined;
  const rank = Math.max(q * total, Number.MIN_VALUE);
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    const count = histogram[b]!;
    if (count === 0) continue;
    if (seen + count >= rank) {
      const lower = binLowerMs(b);
      return lower + (binUpperMs(b) - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return binLowerMs(BINS - 1);
}
