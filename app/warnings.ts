/**
 * Warnings about a state that is legal but probably not what the operator
 * meant: a weights file missing at start, a zone set with no etcd, no function
 * after the first load, a flag of fnlb's that golb does not act on. Each is
 * logged at WARN once, when it is raised, and listed in `/readyz`'s body
 * (`warnings`) while it holds, so a golb that starts healthy-looking but
 * routes nothing says why where an operator looks. A warning never makes golb
 * unready by itself. docs/operations.md says what each one means and what to do.
 * @module
 */
import type { Logger } from './logger.ts';

/** One raised warning: a stable code and the line that was logged. */
export interface Warning {
  code: string;
  message: string;
}

/** The warnings in force, by code. */
export class Warnings {
  private readonly items = new Map<string, string>();
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Raises `code` with `message` (logged at WARN with `fields`); raising a code already in force changes nothing. */
  raise(code: string, message: string, fields: Record<string, unknown> = {}): void {
    if (this.items.get(code) === message) return;
    this.items.set(code, message);
    this.logger.warn(message, { warning: code, ...fields });
  }

  /** Clears `code` (the state it warned of is gone); logged at INFO when it was in force. */
  clear(code: string): void {
    if (this.items.delete(code)) this.logger.info('warning cleared', { warning: code });
  }

  /** The warnings in force, in the order they were raised. */
  list(): Warning[] {
    return [...this.items].map(([code, message]) => ({ code, message }));
  }
}
