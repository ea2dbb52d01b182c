/**
 * The header lines of the answers golb's server writes itself rather than
 * relays: a web `Response` (golb's errors, the dummy handler, the web app's
 * answers), a JSON answer (the probes) and a refusal. Pure text, no socket:
 * `response-writer.ts` writes them.
 * @module
 */
import { ERROR_HEADERS } from '../errors.ts';
import { fieldContentOk } from '../http/syntax.ts';
import { REASONS } from '../http/status-reasons.ts';

/** The error headers as lines of a response head. */
const ERROR_HEAD_LINES = Object.entries(ERROR_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');

/**
 * The header lines of a web `Response` (`Name: value\r\n` each), less its
 * framing and connection headers (the writer frames it) and any value with
 * control bytes (dropped, never relayed); `date` when it has none, and the
 * request's id when it is an answer to a function request that sets none.
 * `length` is its Content-Length, -1 when it has none.
 */
export function webHeadLines(res: Response, date: string, requestId: string | undefined): { text: string; length: number } {
  let text = '';
  let length = -1;
  let hasDate = false;
  for (const [name, value] of res.headers) {
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive') continue;
    else if (name === 'date') hasDate = true;
    if (!fieldContentOk(value, 0, value.length)) continue;
    text += name + ': ' + value + '\r\n';
  }
  if (!hasDate) text += 'date: ' + date + '\r\n';
  if (requestId !== undefined && !res.headers.has('x-request-id')) text += 'x-request-id: ' + requestId + '\r\n';
  return { text, length };
}

/** The header lines of a JSON answer of `length` bytes. */
export function jsonHeadLines(length: number, date: string): string {
  return `content-type: application/json\r\ncontent-length: ${length}\r\ndate: ${date}\r\n`;
}

/** The whole head of a refusal: golb's JSON error of `length` bytes, and the connection closes after it. */
export function refusalHead(status: number, length: number, date: string): string {
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n${ERROR_HEAD_LINES}content-length: ${length}\r\ndate: ${date}\r\nconnection: close\r\n\r\n`;
}
