/**
 * Request ids (`X-Request-Id`): the client's when it is a sane token, else one
 * golb makes. The id goes to the backend and back to the client on the
 * response, and into the access log, so one request can be followed across
 * the client's logs, golb's and the pod's, and through gateways in a chain
 * (the next golb keeps the id the first one sent).
 *
 * A sane id is 1 to {@link MAX_REQUEST_ID} bytes of visible ASCII (no space,
 * no control byte): it goes into a log line and a header as it is. Anything
 * else (too long, several values, bytes outside that range) is replaced.
 *
 * Making one costs no crypto and no clock read: a prefix drawn once per
 * process from the injected randomness, then a counter, in base 36
 * (`k3x9q2m7-1a`). Prefixes of different processes differ with high odds
 * (36^8), so ids of the golbs of a zone do not collide in practice; they are
 * not secret and not meant to be unguessable.
 * @module
 */

/** The longest client id golb keeps, in bytes. */
export const MAX_REQUEST_ID = 200;

/** Characters of the per-process prefix. */
const PREFIX_LENGTH = 8;

/** True when `value` is a request id golb passes on: 1 to {@link MAX_REQUEST_ID} visible ASCII characters. */
export function isSaneRequestId(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > MAX_REQUEST_ID) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** Makes request ids for one process. */
export class RequestIds {
  /** `<prefix>-`. */
  private readonly prefix: string;
  private count = 0;

  /** @param random a source in [0, 1) (`Math.random`; tests pass a fixed one) */
  constructor(random: () => number) {
    let prefix = '';
    for (let i = 0; i < PREFIX_LENGTH; i++) prefix += Math.floor(random() * 36).toString(36);
    this.prefix = prefix + '-';
  }

  /** The id of a request whose client sent `clientId` (null: none). */
  idOf(clientId: string | null): string {
    return clientId !== null && isSaneRequestId(clientId) ? clientId : this.next();
  }

  /** A new id. */
  next(): string {
    return this.prefix + (++this.count).toString(36);
  }
}
