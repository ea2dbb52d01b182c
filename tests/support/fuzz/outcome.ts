/**
 * What a parser made of a byte stream, in a form two parsers can be compared
 * by: the messages it framed, in order, and how the stream ended for it.
 * @module
 */

/** One message as a parser framed it. */
export interface Framed {
  /** Request method (requests only). */
  method?: string;
  /**
   * Request target (requests only): as received, except that golb reduces an
   * absolute-form target; {@link sameTarget} compares the two forms.
   */
  target?: string;
  /** golb's authority of an absolute-form target (requests only). */
  authority?: string | undefined;
  /** Status code (responses only). */
  status?: number;
  /** HTTP/1.0 (else 1.1). */
  http10: boolean;
  /** Header fields: lower-cased name, value trimmed of OWS; in order. */
  headers: [string, string][];
  /** The body bytes (de-chunked), latin1. */
  body: string;
  /** The connection may carry a next message after this one. */
  keepAlive: boolean;
  /** llhttp only: the message switched protocols (Upgrade, CONNECT, 101); what follows is not HTTP to it. */
  upgrade?: boolean;
}

/** How the stream ended for a parser after its last framed message. */
export type Ending =
  /** Everything was framed; nothing is pending. */
  | { kind: 'done' }
  /** A message is started but more bytes are needed. */
  | { kind: 'partial'; headSeen: boolean }
  /** The parser refused the bytes. */
  | { kind: 'error'; reason: string };

/** The messages a parser framed from a stream, and how the stream ended. */
export interface Outcome {
  messages: Framed[];
  ending: Ending;
}

/** True for SP and HTAB. */
function ows(c: number): boolean {
  return c === 32 || c === 9;
}

/** `value` without leading and trailing SP and HTAB. */
export function trimOws(value: string): string {
  let a = 0;
  let b = value.length;
  while (a < b && ows(value.charCodeAt(a))) a++;
  while (b > a && ows(value.charCodeAt(b - 1))) b--;
  return value.slice(a, b);
}
