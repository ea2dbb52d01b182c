/**
 * The example optimiser's settings, from the environment and flags (a flag
 * wins over its variable). etcd and the zone are named as golb names them, so
 * one environment serves both; the rest are the optimiser's own. A pure
 * parser: a bad value is one problem line naming the setting, and `main.ts`
 * exits 2 with it, as golb does.
 * @module
 */
import { boolean, duration, hostPortList, type ValueParser } from '../../app/config-values.ts';

/** What the optimiser runs with. */
export interface Settings {
  /** etcd endpoints `host:port` (`eb_go_lb_etcd_host`, parsed as golb parses it). */
  etcdHosts: string[];
  /** The zone whose reports are read and whose weights are written (`eb_go_lb_zone`). */
  zone: string;
  /** Time between rounds, ms. */
  intervalMs: number;
  /** The response-time average's window, ms: α = 1 − exp(−Δt / window). */
  windowMs: number;
  /** The exponent of weight = 100 / (rt / rt_min)^scaling. */
  scaling: number;
  /** A value is written only when some weight moves by more than this fraction of itself. */
  threshold: number;
  /** Print what would be written instead of writing it. */
  dryRun: boolean;
  /** One round, then exit (tests, cron). */
  once: boolean;
}

/** The defaults: edgerun's `WrrOptimizer` (window 45 s, scaling 2.5) and faas-sim's 10 s between updates. */
export const DEFAULTS = { intervalMs: 10_000, windowMs: 45_000, scaling: 2.5, thresholdPercent: 10 };

/** A positive finite number. */
const positive: ValueParser<number> = (raw) => {
  const n = Number(raw);
  return raw !== '' && Number.isFinite(n) && n > 0 ? { ok: true, value: n } : { ok: false, expected: 'a number > 0 (e.g. 2.5)' };
};

/** A percentage ≥ 0, with or without `%`: `10` and `10%` are 10 %. */
const percent: ValueParser<number> = (raw) => {
  const n = Number(raw.replace(/%$/, ''));
  return raw !== '' && Number.isFinite(n) && n >= 0 ? { ok: true, value: n } : { ok: false, expected: 'a percentage ≥ 0 (e.g. 10 or 10%)' };
};

/** Each setting: its flag, its variable, how it is read. */
const TABLE = {
  interval: { env: 'eb_go_lb_optimiser_interval', parse: duration(false) },
  window: { env: 'eb_go_lb_optimiser_window', parse: duration(false) },
  scaling: { env: 'eb_go_lb_optimiser_scaling', parse: positive },
  threshold: { env: 'eb_go_lb_optimiser_threshold', parse: percent },
  'dry-run': { env: 'eb_go_lb_optimiser_dry_run', parse: boolean },
  once: { env: undefined, parse: boolean },
} as const;
type Name = keyof typeof TABLE;

/** The usage text of `--help`. */
export const USAGE = `usage: npm run optimiser -- [--interval 10s] [--window 45s] [--scaling 2.5] [--threshold 10] [--dry-run] [--once]
needs eb_go_lb_etcd_host and eb_go_lb_zone; each flag also reads eb_go_lb_optimiser_<flag> (dashes as _)`;

/** The settings, or the one line saying what is wrong. */
export function parseSettings(env: Record<string, string | undefined>, argv: readonly string[]): { ok: true; settings: Settings } | { ok: false; problem: string } {
  // Raw values: the variables first, then the flags over them.
  const raw = new Map<Name, { text: string; from: string }>();
  for (const [name, { env: variable }] of Object.entries(TABLE) as [Name, { env: string | undefined }][]) {
    const text = variable === undefined ? undefined : env[variable];
    if (text !== undefined && text.trim() !== '') raw.set(name, { text: text.trim(), from: variable! });
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (!arg.startsWith('--') || !(flag in TABLE)) return { ok: false, problem: `${arg}: unknown argument (--help lists the flags)` };
    const name = flag as Name;
    // --dry-run and --once stand alone; the others take the next argument.
    const text = inline ?? (TABLE[name].parse === boolean ? 'true' : argv[++i]);
    if (text === undefined) return { ok: false, problem: `--${name}: a value is missing` };
    raw.set(name, { text, from: `--${name}` });
  }

  const read = <T>(name: Name, fallback: T): T | string => {
    const given = raw.get(name);
    if (given === undefined) return fallback;
    const r = (TABLE[name].parse as ValueParser<T>)(given.text);
    return r.ok ? r.value : `${given.from}: expected ${r.expected}, got ${JSON.stringify(given.text.slice(0, 60))}`;
  };
  const hosts = hostPortList(true)(env.eb_go_lb_etcd_host?.trim() ?? '');
  if (!hosts.ok) return { ok: false, problem: `eb_go_lb_etcd_host: expected ${hosts.expected}, got ${JSON.stringify(hosts.got ?? env.eb_go_lb_etcd_host)}` };
  if (hosts.value.length === 0) return { ok: false, problem: 'eb_go_lb_etcd_host: required (the etcd golb reads, e.g. 127.0.0.1:2379)' };
  const zone = env.eb_go_lb_zone?.trim() ?? '';
  if (zone === '' || zone.includes('/')) return { ok: false, problem: 'eb_go_lb_zone: required, without "/" (the zone whose weights to write)' };

  const values = {
    intervalMs: read('interval', DEFAULTS.intervalMs),
    windowMs: read('window', DEFAULTS.windowMs),
    scaling: read('scaling', DEFAULTS.scaling),
    threshold: read('threshold', DEFAULTS.thresholdPercent),
    dryRun: read('dry-run', false),
    once: read('once', false),
  };
  for (const v of Object.values(values)) if (typeof v === 'string') return { ok: false, problem: v };
  const { intervalMs, windowMs, scaling, threshold, dryRun, once } = values as { [K in keyof typeof values]: Exclude<(typeof values)[K], string> };
  return { ok: true, settings: { etcdHosts: hosts.value, zone, intervalMs, windowMs, scaling, threshold: threshold / 100, dryRun, once } };
}
