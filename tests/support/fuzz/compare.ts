/**
 * The differential check: one case through golb's parser and through llhttp,
 * and what the difference means. golb may be stricter than llhttp, never
 * looser. Looser is a divergence:
 * - golb frames a message llhttp refuses (its head, or its body as golb read it);
 * - both frame a message but differently: method, target, version, a header
 *   field (name, value), the body bytes, or where the next message starts;
 * - golb keeps a connection for a next message where llhttp would not;
 * - golb has finished a message where llhttp still reads it, or the reverse.
 * Stricter is golb refusing what llhttp frames (or closing where llhttp would
 * keep the connection): counted by golb's reason, never a failure.
 * @module
 */
import { golbRequests, golbResponse } from './golb.ts';
import { llhttpKnowsMethod, llhttpParse } from './llhttp.ts';
import { pieces, requestCase, responseCase, type FuzzCase } from './generate.ts';
import type { Framed, Outcome } from './outcome.ts';
import { MAX_REQUEST_HEAD } from '../../../app/server/request-parser.ts';
import { MAX_HEAD_BYTES } from '../../../app/proxy/response-parser.ts';
import { caseSeed } from './prng.ts';

/** What one case showed. */
export type Verdict =
  /** Both framed the same and ended the same (both refusing counts). */
  | { kind: 'same' }
  /** golb refused (or closed) where llhttp framed: `reason` is golb's. */
  | { kind: 'stricter'; reason: string }
  /** Not comparable after a point: llhttp switched protocols, or golb still waits for bytes llhttp refused. */
  | { kind: 'skipped'; reason: string }
  /** golb was looser than llhttp: a bug. */
  | { kind: 'divergence'; what: string };

/** The first framing difference between golb's message and llhttp's, or undefined. */
function frameDiff(g: Framed, l: Framed): string | undefined {
  if (g.method !== l.method) return `method ${JSON.stringify(g.method)} vs ${JSON.stringify(l.method)}`;
  if (l.target !== undefined && !sameTarget(g, l.target)) return `target ${JSON.stringify(g.authority ?? '')}${JSON.stringify(g.target)} vs ${JSON.stringify(l.target)}`;
  if (g.status !== l.status) return `status ${g.status} vs ${l.status}`;
  if (g.http10 !== l.http10) return `version 1.${g.http10 ? 0 : 1} vs 1.${l.http10 ? 0 : 1}`;
  if (g.body !== l.body) return `body ${JSON.stringify(g.body)} vs ${JSON.stringify(l.body)}`;
  if (g.keepAlive && !l.keepAlive) return 'golb keeps the connection, llhttp does not';
  return undefined;
}

/** True when golb's target (absolute-form reduced to authority and path) stands for llhttp's raw one. */
function sameTarget(g: Framed, raw: string): boolean {
  if (g.authority === undefined) return g.target === raw;
  const m = /^https?:\/\/([^/?]*)(.*)$/i.exec(raw);
  if (m === null || m[1] !== g.authority) return false;
  const rest = m[2]!;
  return g.target === (rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`);
}

/** The header fields as pairs, for a difference message. */
function headersDiff(g: Framed, l: Framed): string | undefined {
  const a = JSON.stringify(g.headers);
  const b = JSON.stringify(l.headers);
  return a === b ? undefined : `headers ${a} vs ${b}`;
}

/** How the ends of the two outcomes compare, once their messages agreed. */
function endings(g: Outcome, l: Outcome): Verdict {
  const ge = g.ending;
  const le = l.ending;
  if (ge.kind === 'error') return le.kind === 'error' ? { kind: 'same' } : { kind: 'stricter', reason: ge.reason };
  if (le.kind === 'error') {
    // golb still reads a head llhttp refused early: it decides at the head's end, which this input never reached.
    if (ge.kind === 'partial') return { kind: 'skipped', reason: `golb undecided, llhttp ${le.reason}` };
    return { kind: 'divergence', what: `golb takes the trailing bytes, llhttp refuses them (${le.reason})` };
  }
  // golb holding bytes llhttp took as finished (empty lines it skips, a head begun): golb waits, and decides later.
  if (ge.kind === 'partial' && le.kind === 'done') return ge.headSeen ? { kind: 'divergence', what: 'golb still reads a body, llhttp has ended' } : { kind: 'skipped', reason: 'golb undecided' };
  if (ge.kind !== le.kind) return { kind: 'divergence', what: `golb ends ${ge.kind}, llhttp ends ${le.kind}` };
  return { kind: 'same' };
}

/** Compares golb's requests with llhttp's, message by message. */
export function compareRequests(g: Outcome, l: Outcome): Verdict {
  for (let i = 0; ; i++) {
    const gm = g.messages[i];
    const lm = l.messages[i];
    if (gm !== undefined && lm !== undefined) {
      const diff = frameDiff(gm, lm) ?? headersDiff(gm, lm);
      if (diff !== undefined) return { kind: 'divergence', what: `request ${i}: ${diff}` };
      if (lm.upgrade === true) return { kind: 'skipped', reason: 'llhttp upgraded' };
      if (!gm.keepAlive) return lm.keepAlive && (l.messages.length > i + 1 || l.ending.kind !== 'done') ? { kind: 'stricter', reason: 'golb closes' } : { kind: 'same' };
      continue;
    }
    if (gm !== undefined) {
      // Not a framing question: llhttp knows a fixed list of methods, golb forwards any token.
      if (l.ending.kind === 'error' && !llhttpKnowsMethod(gm.method!)) return { kind: 'skipped', reason: 'extension method' };
      return { kind: 'divergence', what: `request ${i}: golb frames it, llhttp ${l.ending.kind === 'error' ? `refuses it (${l.ending.reason})` : `ends ${l.ending.kind}`}` };
    }
    if (lm !== undefined) {
      if (g.ending.kind === 'error') return { kind: 'stricter', reason: g.ending.reason };
      return { kind: 'divergence', what: `request ${i}: llhttp frames it, golb ends ${g.ending.kind}` };
    }
    return endings(g, l);
  }
}

/** Compares golb's response (the first final one) with llhttp's. */
export function compareResponse(g: Outcome & { extra: boolean }, l: Outcome): Verdict {
  const at = l.messages.findIndex((m) => m.status! >= 200 || m.upgrade === true);
  const lm = at < 0 ? undefined : l.messages[at];
  const gm = g.messages[0];
  if (gm !== undefined && lm !== undefined) {
    // Headers as golb relays them, but for a Content-Length golb drops on a 204 or 304.
    const diff = frameDiff(gm, lm) ?? headersDiff(gm, { ...lm, headers: lm.status === 204 || lm.status === 304 ? lm.headers.filter(([n]) => n !== 'content-length') : lm.headers });
    if (diff !== undefined) return { kind: 'divergence', what: `response: ${diff}` };
    // Bytes after the response: golb never reuses the connection then.
    if (gm.keepAlive && !g.extra && (l.messages.length > at + 1 || l.ending.kind !== 'done')) return { kind: 'divergence', what: 'golb reuses the connection, llhttp read more after the response' };
    if (g.extra || !gm.keepAlive) return lm.keepAlive ? { kind: 'stricter', reason: 'golb does not reuse' } : { kind: 'same' };
    return { kind: 'same' };
  }
  if (gm !== undefined) {
    return { kind: 'divergence', what: `response: golb frames it, llhttp ${l.ending.kind === 'error' ? `refuses it (${l.ending.reason})` : `ends ${l.ending.kind}`}` };
  }
  if (lm !== undefined) {
    if (lm.upgrade === true && g.ending.kind === 'error') return { kind: 'stricter', reason: g.ending.reason };
    if (g.ending.kind === 'error') return { kind: 'stricter', reason: g.ending.reason };
    return { kind: 'divergence', what: `response: llhttp frames it, golb ends ${g.ending.kind}` };
  }
  return endings(g, l);
}

/** Which parser a run tests. */
export type Target = 'request' | 'response';

/** The end of a head, given to golb when it still waits where llhttp has refused: does golb then take what llhttp refused? */
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * One case through both parsers. When golb is still reading a head llhttp
 * has refused, golb is given the end of a head and compared again: if it then
 * frames what llhttp refused, that is a divergence; if it refuses, both did.
 */
export function runCase(target: Target, c: FuzzCase): { verdict: Verdict; golb: Outcome; llhttp: Outcome } {
  const reads = pieces(c);
  const llhttp = target === 'request'
    ? llhttpParse(reads, { type: 'request', maxHeaderSize: MAX_REQUEST_HEAD }, false)
    : llhttpParse(reads, { type: 'response', isHead: c.isHead, maxHeaderSize: MAX_HEAD_BYTES }, c.eof);
  const golbOf = (r: Buffer[]) => (target === 'request' ? golbRequests(r) : golbResponse(r, c.isHead, c.eof));
  const compare = (g: Outcome) => (target === 'request' ? compareRequests(g, llhttp) : compareResponse(g as ReturnType<typeof golbResponse>, llhttp));
  const golb = golbOf(reads);
  let verdict = compare(golb);
  if (verdict.kind === 'skipped' && verdict.reason.startsWith('golb undecided') && llhttp.ending.kind === 'error') {
    const again = compare(golbOf([...reads, HEAD_END]));
    if (again.kind === 'divergence') verdict = { kind: 'divergence', what: `${again.what} (golb given CRLFCRLF more)` };
    else if (again.kind === 'stricter' || again.kind === 'same') verdict = { kind: 'same' };
  }
  return { verdict, golb, llhttp };
}

/** The case `seed` makes for `target`. */
export function caseFor(target: Target, seed: number): FuzzCase {
  return target === 'request' ? requestCase(seed) : responseCase(seed);
}

/** A divergence found, with what replays it. */
export interface Found {
  target: Target;
  seed: number;
  what: string;
  /** The bytes as a JSON string (latin1). */
  bytes: string;
  cuts: number[];
  isHead: boolean;
  eof: boolean;
}

/** What a run counted. */
export interface Stats {
  cases: number;
  same: number;
  /** Of `same`: cases where both framed at least one message alike. */
  bothFramed: number;
  /** golb's refusals of what llhttp framed, by golb's reason. */
  stricter: Map<string, number>;
  skipped: Map<string, number>;
  /** llhttp's refusals of what golb also refused, by llhttp's code (how much of the corpus is refused at all). */
  bothRefused: Map<string, number>;
  found: Found[];
}

/** A fresh count. */
export function newStats(): Stats {
  return { cases: 0, same: 0, bothFramed: 0, stricter: new Map(), skipped: new Map(), bothRefused: new Map(), found: [] };
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Runs the case `seed` for `target` into `stats`. */
export function fuzzOne(target: Target, seed: number, stats: Stats): Verdict {
  const c = caseFor(target, seed);
  const { verdict, llhttp } = runCase(target, c);
  stats.cases++;
  switch (verdict.kind) {
    case 'same':
      stats.same++;
      if (llhttp.messages.length > 0) stats.bothFramed++;
      if (llhttp.ending.kind === 'error') bump(stats.bothRefused, llhttp.ending.reason);
      break;
    case 'stricter':
      bump(stats.stricter, verdict.reason);
      break;
    case 'skipped':
      bump(stats.skipped, verdict.reason.replace(/llhttp HPE_\w+$/, 'llhttp refused'));
      break;
    case 'divergence':
      stats.found.push({ target, seed, what: verdict.what, bytes: JSON.stringify(c.bytes.toString('latin1')), cuts: c.cuts, isHead: c.isHead, eof: c.eof });
      break;
  }
  return verdict;
}

/**
 * Runs cases `0 .. count-1` of the run `seed` for `target` (each from
 * {@link caseSeed}), or fewer when `until` (a Date.now() time) comes first.
 */
export function fuzzRun(target: Target, seed: number, count: number, until = Infinity, stats: Stats = newStats()): Stats {
  for (let i = 0; i < count; i++) {
    if ((i & 255) === 0 && Date.now() >= until) break;
    fuzzOne(target, caseSeed(seed, i), stats);
  }
  return stats;
}

/** The counts of a run as lines of text (most frequent first). */
export function formatStats(target: Target, stats: Stats): string {
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${String(n).padStart(7)}  ${k}`);
  return [
    `${target}: ${stats.cases} cases, ${stats.same} framed or refused alike (${stats.bothFramed} with a message both framed), ${stats.found.length} divergences`,
    `  golb stricter (${sum(stats.stricter)}), by golb's reason:`, ...list(stats.stricter),
    `  not comparable (${sum(stats.skipped)}):`, ...list(stats.skipped),
    `  both refused, by llhttp's code:`, ...list(stats.bothRefused),
  ].join('\n');
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
