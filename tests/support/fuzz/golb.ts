/**
 * golb's parsers driven the way golb's server and proxy drive them, with the
 * same reports as {@link llhttpParse}: the request parser as the connection
 * does (a request's end stops the parse, the unconsumed rest is fed again after
 * reset(), and a request that does not keep the connection is the last), the
 * response parser as the proxy does (one response, interim 1xx heads skipped,
 * the stream's end told by eof()).
 * @module
 */
import { RequestParser } from '../../../app/server/request-parser.ts';
import { ResponseParser } from '../../../app/proxy/response-parser.ts';
import type { Framed, Outcome } from './outcome.ts';

/** Feeds `pieces` in order to golb's request parser, as the connection does. */
export function golbRequests(pieces: Buffer[]): Outcome {
  const messages: Framed[] = [];
  let current: Framed | undefined;
  let body: Buffer[] = [];
  let ended = false;
  let error: string | undefined;
  const parser = new RequestParser({
    head: (h) => {
      current = {
        method: h.method,
        target: h.target,
        authority: h.authority,
        http10: h.http10,
        headers: h.headers.pairs.map(([n, v]) => [n, v]),
        body: '',
        keepAlive: h.keepAlive,
      };
      body = [];
    },
    body: (chunk) => void body.push(Buffer.from(chunk)), // a view valid during the call only
    end: () => {
      current!.body = Buffer.concat(body).toString('latin1');
      messages.push(current!);
      current = undefined;
      ended = true;
    },
    error: (status, reason) => void (error = `${status} ${reason}`),
  });
  let held = Buffer.alloc(0);
  for (const piece of pieces) {
    // A copy: the parser may rewrite the bytes it consumes (a chunked body moved together).
    held = held.length === 0 ? Buffer.from(piece) : Buffer.concat([held, piece]);
    while (held.length > 0) {
      ended = false;
      const used = parser.feed(held);
      held = held.subarray(used);
      if (error !== undefined) return { messages, ending: { kind: 'error', reason: error } };
      if (!ended) break;
      // The connection closes after a request that does not keep it: what follows is never read.
      if (!messages[messages.length - 1]!.keepAlive) return { messages, ending: { kind: 'done' } };
      parser.reset();
    }
  }
  return { messages, ending: parser.idle ? { kind: 'done' } : { kind: 'partial', headSeen: current !== undefined } };
}

/** Feeds `pieces` in order to golb's response parser (a request that was HEAD or not), then eof() when `eof`. */
export function golbResponse(pieces: Buffer[], isHead: boolean, eof: boolean): Outcome & { extra: boolean } {
  const messages: Framed[] = [];
  let current: Framed | undefined;
  let body: Buffer[] = [];
  let error: string | undefined;
  let extra = false;
  let ended = false;
  const parser = new ResponseParser(
    {
      head: (h) => {
        current = { status: h.status, http10: false, headers: h.headers.map(([n, v]) => [n, v]), body: '', keepAlive: h.keepAlive };
        current.http10 = h.raw[7] === 48;
        body = [];
      },
      body: (chunk) => void body.push(Buffer.from(chunk)),
      end: (more) => {
        current!.body = Buffer.concat(body).toString('latin1');
        messages.push(current!);
        current = undefined;
        extra = more;
        ended = true;
      },
      error: (reason) => void (error = reason),
    },
    isHead,
  );
  for (const piece of pieces) {
    // Bytes after the end are only noted (the connection is not reused): nothing more is parsed.
    if (ended) {
      if (piece.length > 0) extra = true;
      continue;
    }
    parser.feed(Buffer.from(piece));
    if (error !== undefined) return { messages, ending: { kind: 'error', reason: error }, extra };
  }
  if (eof && !ended) {
    parser.eof();
    if (error !== undefined) return { messages, ending: { kind: 'error', reason: error }, extra };
  }
  // `clean` is false when bytes followed the end (with a body-less response they are not reported by end()).
  if (ended) return { messages, ending: { kind: 'done' }, extra: extra || !parser.clean };
  return { messages, ending: { kind: 'partial', headSeen: current !== undefined }, extra };
}
