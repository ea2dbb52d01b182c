/**
 * A small structured logger: `prod` writes JSON lines at info level, `dev`
 * readable lines at debug level. It is built once at start and injected; code on
 * the request path calls it only for events worth a line (failures, updates),
 * never per successful request.
 * @module
 */

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra fields of a log line. */
export type LogFields = Record<string, unknown>;

/** The logger every module receives. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  mode: 'dev' | 'prod';
  node: string;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  now?: () => number;
}

/** Builds the logger for a mode: JSON lines in `prod`, readable lines in `dev`. */
export function createLogger({ mode, node, write, now = Date.now }: LoggerOptions): Logger {
  // console.error, not process.stderr.write: on Bun the first use of
  // process.stderr builds a Node stream (with node:net) and holds about 1.5 MB
  // more resident memory; a single string argument is written as it is.
  const out = write ?? ((line: string) => console.error(line));
  const min = LEVEL_RANK[mode === 'prod' ? 'info' : 'debug'];
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVEL_RANK[level] < min) return;
    const time = new Date(now()).toISOString();
    if (mode === 'prod') {
      out(JSON.stringify({ time, level, node, msg, ...fields }));
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    if (fields) for (const k in fields) line += ` ${k}=${formatValue(fields[k])}`;
    out(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@-]*$/.test(v) ? v : JSON.stringify(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v) ?? String(v);
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
