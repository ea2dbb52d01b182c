/**
 * Value parsers for golb's settings: each turns one raw string (from an
 * environment variable or a flag) into a typed value, or says what was expected.
 * They never throw and never name the setting: `config.ts` owns the names and
 * turns an `expected` into one problem line.
 */
import { MIN_VERSION } from './pool/api-version.ts';
import { parseAddress } from './sources/function-value.ts';

/**
 * The outcome of reading one raw value: the value, or what was expected instead
 * and, for lists, the one entry at fault (`got`) to quote instead of the whole value.
 */
export type ValueResult<T> = { ok: true; value: T } | { ok: false; expected: string; got?: string };

/** Reads one raw, already trimmed, value. */
export type ValueParser<T> = (raw: string) => ValueResult<T>;

/** A listening address: host without brackets (what `listen()` wants) and port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * The largest timer delay runtimes honour: Node, Bun and browsers store delays
 * in a signed 32-bit integer and fire *immediately* past it, which would turn a
 * generous timeout into none at all.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How much of a bad value a problem line repeats; the rest is elided. */
export const MAX_ECHO_CHARS = 60;

const ok = <T>(value: T): ValueResult<T> => ({ ok: true, value });
const fail = <T>(expected: string, got?: string): ValueResult<T> =>
  got === undefined ? { ok: false, expected } : { ok: false, expected, got };

/** Shortens text a problem line repeats to {@link MAX_ECHO_CHARS}, marking the cut. */
export function clip(raw: string): string {
  return raw.length > MAX_ECHO_CHARS ? `${raw.slice(0, MAX_ECHO_CHARS - 1)}…` : raw;
}

/**
 * Quotes a bad value for a problem line, truncated to {@link MAX_ECHO_CHARS};
 * JSON quoting escapes control characters so a value cannot forge log lines.
 */
export function echoValue(raw: string): string {
  return JSON.stringify(clip(raw));
}

/** For settings that are unset by default, an empty value means unset too (e.g. `--hc-path=`). */
export function optional<T>(parse: ValueParser<T>): ValueParser<T | undefined> {
  return (raw) => (raw === '' ? ok(undefined) : parse(raw));
}

/** An integer from `min` to `max` inclusive, decimal digits only ("80a", "1e3" and "8.0" are refused). */
export function intRange(min: number, max: number): ValueParser<number> {
  const expected = max >= Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return (raw) => {
    if (!/^\+?\d+$/.test(raw)) return fail(expected);
    const n = Number(raw);
    return n >= min && n <= max ? ok(n) : fail(expected);
  };
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds. A plain number means seconds (golb's own
 * variables, possibly fractional); Go durations such as `3s`, `500ms`, `1m30s`
 * are accepted too because fnlb's flags take them. `allowZero` admits the
 * shutdown drain (0: stop at once); for timeouts and intervals 0 makes no sense.
 */
export function duration(allowZero: boolean): ValueParser<number> {
  const expected = `seconds ${allowZero ? '≥ 0' : '> 0'} (e.g. 5, 0.5) or a duration such as 500ms, 3s, 1m`;
  return (raw) => {
    let ms: number;
    if (/^\+?(\d+\.?\d*|\.\d+)$/.test(raw)) {
      ms = Number(raw) * 1000;
    } else if (/^(?:(?:\d+\.?\d*|\.\d+)(?:ms|s|m|h))+$/.test(raw)) {
      ms = 0;
      // `ms` is listed before `m` so "500ms" is not read as 500 minutes and an "s".
      for (const [, num, unit] of raw.matchAll(/(\d+\.?\d*|\.\d+)(ms|s|m|h)/g)) {
        ms += Number(num) * (DURATION_UNIT_MS[unit ?? ''] ?? Number.NaN);
      }
    } else {
      return fail(expected);
    }
    if (!Number.isFinite(ms) || ms > MAX_TIMER_MS) return fail(`${expected}, at most ${MAX_TIMER_MS / 1000} s`);
    return ms > 0 || (allowZero && ms === 0) ? ok(ms) : fail(expected);
  };
}

/**
 * A duration that is 0 (the feature is off) or from `minMs` to `maxMs`, read
 * as {@link duration} reads it.
 */
export function durationOffOrRange(minMs: number, maxMs: number): ValueParser<number> {
  const expected = `0 (off) or seconds from ${minMs / 1000} to ${maxMs / 1000} (e.g. 5) or a duration such as 5s, 1m`;
  const read = duration(true);
  return (raw) => {
    const r = read(raw);
    if (!r.ok) return fail(expected);
    return r.value === 0 || (r.value >= minMs && r.value <= maxMs) ? r : fail(expected);
  };
}

const SIZE_SUFFIX: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A byte count ≥ 0 with an optional binary suffix k, m or g (any case): `10m` is 10 MiB. */
export const byteSize: ValueParser<number> = (raw) => {
  const expected = 'a size in bytes ≥ 0, optionally with suffix k, m or g (e.g. 10m)';
  const match = /^\+?(\d+)([kmg]?)$/i.exec(raw);
  if (!match) return fail(expected);
  const bytes = Number(match[1]) * (SIZE_SUFFIX[(match[2] ?? '').toLowerCase()] ?? Number.NaN);
  return Number.isSafeInteger(bytes) ? ok(bytes) : fail(expected);
};

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** A boolean: true/false, 1/0, yes/no, on/off, in any case. */
export const boolean: ValueParser<boolean> = (raw) => {
  const word = raw.toLowerCase();
  if (TRUE_WORDS.has(word)) return ok(true);
  if (FALSE_WORDS.has(word)) return ok(false);
  return fail('one of true, false, 1, 0, yes, no, on, off');
};

/** One of a fixed set of words, compared case-insensitively. */
export function oneOf<T extends string>(choices: readonly T[]): ValueParser<T> {
  return (raw) => {
    const found = choices.find((c) => c === raw.toLowerCase());
    return found === undefined ? fail(`one of ${choices.join(', ')}`) : ok(found);
  };
}

/**
 * A name of 1..253 characters from `[A-Za-z0-9._-]`: zones end up in etcd keys
 * and node names in HTTP header names and values, where ':', '/' or spaces
 * would change their meaning.
 */
export const safeName: ValueParser<string> = (raw) =>
  /^[A-Za-z0-9._-]{1,253}$/.test(raw) ? ok(raw) : fail('1 to 253 characters from A-Z a-z 0-9 . _ -');

/** Any non-empty text (file names). */
export const nonEmpty: ValueParser<string> = (raw) => (raw === '' ? fail('a non-empty value') : ok(raw));

/** A URL path for health probes: starts with '/', no whitespace or control characters. */
export const urlPath: ValueParser<string> = (raw) =>
  /^\/[^\s\x00-\x1f\x7f]*$/.test(raw) ? ok(raw) : fail("a path starting with '/' (e.g. /version)");

/**
 * A bearer token: visible ASCII without spaces, since anything else cannot be
 * sent verbatim in `Authorization: Bearer …` (RFC 6750 §2.1).
 */
export const bearerToken: ValueParser<string> = (raw) =>
  /^[\x21-\x7e]+$/.test(raw) ? ok(raw) : fail('visible ASCII characters without spaces');

/**
 * Splits a list setting's value: entries are separated by commas, whitespace,
 * or both (`a:1,b:1`, `a:1 b:1`, `a:1, b:1`), whichever list it is. The seed
 * took `eb_go_lb_gateways` whitespace separated while `--etcd-host` and fnlb's
 * `--nodes` take commas; an operator should not have to remember which. Empty
 * entries are dropped, so a trailing comma is harmless.
 */
export function listEntries(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((s) => s !== '');
}

/**
 * A list of addresses as weights entries write them (`eb_go_lb_gateways`),
 * separated by commas or whitespace: each entry must parse as an `ips` entry
 * does ({@link parseAddress}: host, host:port, [v6]:port or http://host[:port]),
 * since a gateway is recognised by comparing it with the `ips` addresses; an
 * entry that matches none would let the other zone's gateway pass for a pod.
 */
export const addressList: ValueParser<string[]> = (raw) => {
  const entries = listEntries(raw);
  for (const entry of entries) {
    const parsed = parseAddress(entry);
    if (typeof parsed === 'string') return fail(`addresses as ips writes them (host, host:port, [v6]:port or http://host:port) separated by commas or spaces`, entry);
  }
  return ok(entries);
};

const HOST_NAME = /^[A-Za-z0-9._-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?$/;

/** A host to listen on: a name, an IPv4 address, or an IPv6 address with or without brackets. */
export const listenHost: ValueParser<string> = (raw) => {
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  return HOST_NAME.test(host) || IPV6.test(host) ? ok(host) : fail('a host name or IP address');
};

/** Splits `host:port` / `[v6]:port`; the host may be empty (fnlb's `:8081`). */
function splitHostPort(raw: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(raw);
  if (!match) return undefined;
  const port = Number(match[2]);
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  if (port < 1 || port > 65535) return undefined;
  if (host !== '' && !HOST_NAME.test(host) && !IPV6.test(host)) return undefined;
  return { host, port };
}

/** fnlb's listen address: `:port`, `host:port` or `[v6]:port`; an empty host means every IPv4 interface. */
export const listenAddress: ValueParser<ListenAddress> = (raw) => {
  const parts = splitHostPort(raw);
  if (!parts) return fail('an address :port, host:port or [v6]:port with port 1 to 65535');
  return ok({ host: parts.host === '' ? '0.0.0.0' : parts.host, port: parts.port });
};

/**
 * A list of `host:port` (port 1..65535, host required), separated by commas or
 * whitespace ({@link listEntries}). With `allowHttp`, an
 * `http://` prefix and a trailing '/' are stripped: etcd endpoints are often
 * written as URLs, and the seed passed the value to etcd's client as one.
 */
export function hostPortList(allowHttp: boolean): ValueParser<string[]> {
  const expected = `${allowHttp ? '[http://]' : ''}host:port entries separated by commas or spaces (port 1 to 65535)`;
  return (raw) => {
    const entries: string[] = [];
    for (const item of listEntries(raw)) {
      const bare = allowHttp ? item.replace(/^http:\/\//i, '').replace(/\/$/, '') : item;
      const parts = splitHostPort(bare);
      if (!parts || parts.host === '') return fail(expected, item);
      entries.push(bare);
    }
    return ok(entries);
  };
}

/** A Kubernetes label selector: printable, no spaces inside terms (`app=fn,role=fn-service`, `tier in (a,b)`). */
export const labelSelector: ValueParser<string> = (raw) =>
  /^[\x21-\x7e ]*$/.test(raw) && raw.length <= 1024 ? ok(raw.trim()) : fail('a label selector (app=fn,role=fn-service)');

/** A Kubernetes namespace name (RFC 1123 label). */
export const dnsLabel: ValueParser<string> = (raw) =>
  /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw) ? ok(raw) : fail('a namespace name: lowercase letters, digits and -, at most 63');

/**
 * An API version `x.y.z` (fnlb's `-min-api-version`, a semantic version): a
 * leading `v` is allowed (`v0.1.0` is 0.1.0); a part with a leading zero
 * (`01.2.3`) is refused, as semantic versioning does; pre-release and build
 * suffixes are refused too, since a minimum is a release.
 */
export const apiVersion: ValueParser<string> = (raw) =>
  MIN_VERSION.test(raw) ? ok(raw.replace(/^v/, '')) : fail('a version x.y.z without leading zeros, optionally after a v (e.g. 0.0.1)');
