/**
 * The connection cap of one listener (`eb_go_lb_max_connections`), and its
 * counts for `/metrics`. The transport asks it on every accept and tells it
 * when a socket is released (`Admission` in `app/net/transport.ts`), so
 * `open` counts descriptors held, including sockets that linger after golb
 * closed its side. JavaScript runs one callback at a time: no locking.
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Admission } from '../net/transport.ts';
import { ASSUMED_DESCRIPTOR_LIMIT, autoMaxConnections, type OpenFilesLimit } from './connection-limit.ts';

/** One listener's cap and counts. */
export class ConnectionGate implements Admission {
  /** The listener's name in metrics: `traffic` or `management`. */
  readonly listener: string;
  /** Connections held at most; past it new ones are closed at once. */
  readonly max: number;
  /** Connections admitted whose sockets are not released yet. */
  open = 0;
  /** Connections closed at once because `max` were open. */
  refused = 0;
  /** Requests the server refused itself (`Http1ServerOptions.onRefused`), by error code. */
  readonly refusedRequests = new Map<string, number>();

  constructor(listener: string, max: number) {
    this.listener = listener;
    this.max = max;
  }

  admit(): boolean {
    if (this.open >= this.max) {
      this.refused++;
      return false;
    }
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }

  /** Counts a request the server refused with `code`. */
  requestRefused(code: string): void {
    this.refusedRequests.set(code, (this.refusedRequests.get(code) ?? 0) + 1);
  }
}

/** The gates of golb's listeners. */
export interface ConnectionGates {
  traffic: ConnectionGate;
  /** Set when there is a separate management listener. */
  management: ConnectionGate | undefined;
}

/**
 * The listeners' gates, with the configured cap, or one derived from the
 * descriptor limit ({@link autoMaxConnections}); logs the cap in force, and
 * warns when a configured one leaves too few descriptors.
 * @param limit the process's open-files limit; undefined when it could not be read ({@link ASSUMED_DESCRIPTOR_LIMIT} is taken)
 */
export function connectionGates(config: Pick<Config, 'maxConnections' | 'mgmtPort'>, limit: OpenFilesLimit | undefined, logger: Logger): ConnectionGates {
  const management = config.mgmtPort !== undefined;
  const descriptors = limit?.soft ?? ASSUMED_DESCRIPTOR_LIMIT;
  const derived = autoMaxConnections(descriptors, management);
  const configured = config.maxConnections > 0;
  const max = configured ? config.maxConnections : derived;
  const descriptorLimit = limit === undefined ? `unknown, ${ASSUMED_DESCRIPTOR_LIMIT} assumed` : Number.isFinite(descriptors) ? descriptors : 'unlimited';
  logger.info('connection limit per listener', { maxConnections: max, from: configured ? 'eb_go_lb_max_connections' : 'descriptor limit', descriptorLimit, listeners: management ? 2 : 1 });
  if (configured && limit !== undefined && max > derived) {
    logger.warn('eb_go_lb_max_connections leaves too few descriptors: out of them, accepts fail and nothing can be opened', { maxConnections: max, derived, descriptorLimit });
  }
  return { traffic: new ConnectionGate('traffic', max), management: management ? new ConnectionGate('management', max) : undefined };
}
