/**
 * Decoding one function's value, `{"ips": [...], "weights": [...]}`, as written
 * into etcd or the embedded file. A pure function: the sources do the I/O and
 * call it; a value it refuses never replaces the function's last good one.
 * @module
 */
import { isIPv6Address } from '../ip-address.ts';
/** One target of a function value, before gateway awareness is applied. */
export interface Target {
  /** Canonical `host:port` (IPv6 bracketed). */
  address: string;
  host: string;
  port: number;
  weight: number;
}

/** A decoded, valid function value. */
export interface FunctionSpec {
  targets: Target[];
  /** Optional per-function strategy name (validated against the known ones). */
  strategy: string | undefined;
}

/** The outcome of decoding: the spec, or the reason it was refused. */
export type DecodeResult = { ok: true; spec: FunctionSpec } | { ok: false; reason: string };

/** Most backends one function may list. */
export const MAX_TARGETS = 10_000;
/** Largest weight accepted. */
export const MAX_WEIGHT = 1_000_000;

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
function clip(s: string): string {
  return s.length > 60 ? JSON.stringify(s.slice(0, 60)) + '…' : JSON.stringify(s);
}

/**
 * Parses one address: `host`, `host:port`, `[v6]:port` or `http://host[:port][/]`.
 * A bare host means port 80. Returns the target without weight, or a reason.
 */
export function parseAddress(raw: string): Omit<Target, 'weight'> | string {
  let s = raw.trim();
  if (s === '') return 'empty address';
  if (/^https:\/\//i.test(s)) return `address ${clip(raw)}: https upstreams are not supported`;
  if (/^http:\/\//i.test(s)) {
    s = s.slice(7);
    if (s.endsWith('/')) s = s.slice(0, -1);
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return `address ${clip(raw)}: unclosed "["`;
    host = s.slice(1, end);
    const after = s.slice(end + 1);
    if (after !== '' && !after.startsWith(':')) return `address ${clip(raw)}: malformed`;
    portText = after === '' ? undefined : after.slice(1);
    if (!IPV6.test(host) || !isIPv6Address(host)) return `address ${clip(raw)}: malformed IPv6 address`;
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    portText = colon < 0 ? undefined : s.slice(colon + 1);
    if (!HOSTNAME.test(host) || host.length > 253) return `address ${clip(raw)}: malformed host`;
  }
  let port = 80;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return `address ${clip(raw)}: malformed port`;
    port = Number(portText);
    if (port < 1 || port > 65535) return `address ${clip(raw)}: port out of range`;
  }
  // Host names are case-insensitive (RFC 4343) and so are IPv6 hex digits: one
  // spelling per address, so health, pools and the node pool's ring see one backend.
  host = host.toLowerCase();
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { address, host, port };
}

/** Canonical `host:port` of an address as written in `ips` or `eb_go_lb_gateways`, or undefined. */
export function canonicalAddress(raw: string): string | undefined {
  const t = parseAddress(raw);
  return typeof t === 'string' ? undefined : t.address;
}

/**
 * Decodes a function value from its JSON text.
 * @param knownStrategies names accepted in the optional `"strategy"` field
 */
export function decodeFunctionValue(text: string, knownStrategies: ReadonlySet<string>): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  return decodeFunctionObject(value, knownStrategies);
}

/** Decodes an already parsed value (the embedded file holds many in one document). */
export function decodeFunctionObject(value: unknown, knownStrategies: ReadonlySet<string>): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'value must be a JSON object with "ips" and "weights"' };
  }
  const v = value as Record<string, unknown>;
  const { ips, weights } = v;
  if (!Array.isArray(ips)) return { ok: false, reason: '"ips" must be an array of addresses' };
  if (!Array.isArray(weights)) return { ok: false, reason: '"weights" must be an array of numbers' };
  if (ips.length !== weights.length) {
    return { ok: false, reason: `"ips" has ${ips.length} entries but "weights" has ${weights.length}` };
  }
  if (ips.length > MAX_TARGETS) return { ok: false, reason: `more than ${MAX_TARGETS} backends` };
  let strategy: string | undefined;
  if (v.strategy !== undefined) {
    if (typeof v.strategy !== 'string' || !knownStrategies.has(v.strategy)) {
      return { ok: false, reason: `"strategy" must be one of ${[...knownStrategies].join(', ')}` };
    }
    strategy = v.strategy;
  }
  const targets: Target[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < ips.length; i++) {
    const ip = ips[i];
    const w = weights[i];
    if (typeof ip !== 'string') return { ok: false, reason: `ips[${i}] is not a string` };
    // Decimals are welcome (optimisers write them); JSON cannot say NaN, and 1e400 reads as Infinity.
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > MAX_WEIGHT) {
      return { ok: false, reason: `weights[${i}] must be a number from 0 to ${MAX_WEIGHT}, got ${clip(String(w))}` };
    }
    const t = parseAddress(ip);
    if (typeof t === 'string') return { ok: false, reason: `ips[${i}]: ${t}` };
    if (seen.has(t.address)) return { ok: false, reason: `ips[${i}]: ${t.address} is listed twice` };
    seen.add(t.address);
    targets.push({ ...t, weight: w });
  }
  return { ok: true, spec: { targets, strategy } };
}

/** The store form of a spec: what a writer would put. */
export function toStoreValue(spec: FunctionSpec): Record<string, unknown> {
  const value: Record<string, unknown> = {
    ips: spec.targets.map((t) => t.address),
    weights: spec.targets.map((t) => t.weight),
  };
  if (spec.strategy !== undefined) value.strategy = spec.strategy;
  return value;
}
