/**
 * Node's own HTTP/1.1 parser, llhttp, driven directly: the `HTTPParser`
 * binding that `node:http` builds its server and client on, reached through
 * Node's `_http_common` module (it re-exports the binding; no deprecation
 * warning, unlike `process.binding('http_parser')`). It is set up as Node's
 * server and client set it up by default: strict (no lenient flag, as without
 * `insecureHTTPParser`), with the head limit golb uses, so that a difference in
 * the limit itself is not reported as a difference in parsing.
 *
 * Node only: Bun and Deno have no llhttp. The fuzz tests and `npm run fuzz`
 * run on Node.
 * @module
 */
import { createRequire } from 'node:module';
import { trimOws, type Framed, type Outcome } from './outcome.ts';

const require = createRequire(import.meta.url);
/** `{ HTTPParser, methods }`: the binding's class and its method names by number. */
const common = require('_http_common') as { HTTPParser: any; methods: string[] };
const HTTPParser = common.HTTPParser;
/** llhttp's number for QUERY, which `methods` lists after the 34 numbered 0 to 33. */
const QUERY = 46;

/** The method name for llhttp's method number. */
function methodName(n: number): string {
  if (n >= 0 && n < 34) return common.methods[n]!;
  return n === QUERY ? 'QUERY' : `#${n}`;
}

/**
 * True for a method llhttp parses as HTTP/1.1: it knows a fixed list and
 * refuses any other token (golb takes any token: an extension method is a
 * method, RFC 9110 §9.1). PRI is in the list only as HTTP/2's preface.
 */
export function llhttpKnowsMethod(method: string): boolean {
  return method !== 'PRI' && (method === 'QUERY' || common.methods.slice(0, 34).includes(method));
}

/** What to parse: requests (as Node's server) or responses (as Node's client, to a request that was HEAD or not). */
export interface LlhttpMode {
  type: 'request' | 'response';
  /** Responses: the request was HEAD (Node's client then tells llhttp to skip the body). */
  isHead?: boolean;
  /** The head limit (Node's `maxHeaderSize`). */
  maxHeaderSize: number;
}

/** Feeds `pieces` in order to a fresh strict llhttp; `eof` ends the stream (a response read to a close). */
export function llhttpParse(pieces: Buffer[], mode: LlhttpMode, eof: boolean): Outcome {
  const parser = new HTTPParser();
  parser.initialize(mode.type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, mode.maxHeaderSize, HTTPParser.kLenientNone);
  const messages: Framed[] = [];
  let flushed: string[] = [];
  let flushedUrl = '';
  let current: Framed | undefined;
  let body: Buffer[] = [];
  /** Between a message's first byte and its end. */
  let begun = false;
  parser[HTTPParser.kOnMessageBegin] = () => {
    begun = true;
    flushed = [];
    flushedUrl = '';
  };
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    // More than 32 fields: llhttp hands them on in batches before the head ends.
    flushed.push(...headers);
    flushedUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
    status: number, _statusMessage: string, upgrade: boolean, keepAlive: boolean,
  ): number => {
    const raw = headers === undefined ? flushed : [...flushed, ...headers];
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!.toLowerCase(), trimOws(raw[i + 1]!)]);
    current = { http10: major === 1 && minor === 0, headers: pairs, body: '', keepAlive, upgrade };
    if (mode.type === 'request') {
      current.method = methodName(method);
      current.target = url === undefined ? flushedUrl : flushedUrl + url;
    } else current.status = status;
    body = [];
    // As Node's client: a 1xx or an answer to HEAD has no body (1); as Node's server with no 'upgrade' listener: 0.
    if (mode.type === 'response' && (mode.isHead === true || (status >= 100 && status < 200))) return 1;
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    body.push(Buffer.from(chunk));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    begun = false;
    if (current === undefined) return;
    current.body = Buffer.concat(body).toString('latin1');
    messages.push(current);
    current = undefined;
  };
  try {
    for (const piece of pieces) {
      const r = parser.execute(piece);
      if (r instanceof Error) return { messages, ending: { kind: 'error', reason: (r as Error & { code?: string }).code ?? r.message } };
      // An upgrade stops llhttp: the bytes after it are another protocol's.
      if (messages.length > 0 && messages[messages.length - 1]!.upgrade === true) return { messages, ending: { kind: 'done' } };
    }
    if (eof) {
      const r = parser.finish();
      if (r instanceof Error) return { messages, ending: { kind: 'error', reason: (r as Error & { code?: string }).code ?? r.message } };
    }
    return { messages, ending: begun ? { kind: 'partial', headSeen: current !== undefined } : { kind: 'done' } };
  } finally {
    parser.close?.();
    parser.free?.();
  }
}

