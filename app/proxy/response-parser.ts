/**
 * An incremental, strict HTTP/1.1 response parser (RFC 9112) for the upstream
 * side of the proxy. It is fed the socket's bytes and reports the head, body
 * chunks and the end through callbacks; it never buffers a body.
 *
 * Strictness is deliberate: whatever it cannot frame with certainty (two
 * different Content-Lengths, a bad chunk size, obs-fold, a head over the limit)
 * is a protocol error, which the proxy turns into a 502 or a cut response,
 * never into bytes leaking into the next response of a reused connection.
 * @module
 */
import { digits, fieldValueOk, parseChunkSize, removeHeader, TCHAR } from './http-syntax.ts';

export { parseChunkSize };

/** Largest response head accepted. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line (with extensions). */
const MAX_CHUNK_LINE = 4096;

/** How the body of a response is delimited. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

/** The parsed head of a response. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** Header pairs as received, lower-cased names, duplicates kept, in order. */
  headers: [string, string][];
  framing: Framing;
  /** Body length when `framing` is `length`. */
  length: number;
  /** Whether the connection may be reused after this response. */
  keepAlive: boolean;
}

/** Where the parser reports. */
export interface ResponseSink {
  head(head: ResponseHead): void;
  body(chunk: Uint8Array): void;
  /** The response is complete. `extra` is true when bytes followed it. */
  end(extra: boolean): void;
  error(reason: string): void;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Close,
  Done,
  Failed,
}

/** Parses one response at a time from a connection. */
export class ResponseParser {
  private state = State.Head;
  private head: Buffer | undefined = undefined;
  private remaining = 0;
  private line = '';
  private trailerBytes = 0;
  private readonly sink: ResponseSink;
  private readonly noBody: boolean;

  /** @param isHead the request was HEAD: the response has no body whatever it says */
  constructor(sink: ResponseSink, isHead: boolean) {
    this.sink = sink;
    this.noBody = isHead;
  }

  /** True when a whole response was read and nothing followed it. */
  get clean(): boolean {
    return this.state === State.Done;
  }

  /** True once the response head has been parsed. */
  get headDone(): boolean {
    return this.state !== State.Head;
  }

  /** Feeds bytes from the socket. */
  feed(data: Buffer): void {
    let buf = data;
    while (buf.length > 0) {
      switch (this.state) {
        case State.Head: {
          const joined = this.head === undefined ? buf : Buffer.concat([this.head, buf]);
          // Search from just before the old end so a CRLFCRLF split across reads is found.
          const from = this.head === undefined ? 0 : Math.max(0, this.head.length - 3);
          const end = joined.indexOf('\r\n\r\n', from, 'latin1');
          if (end < 0) {
            if (joined.length > MAX_HEAD_BYTES) return this.fail('response head too large');
            this.head = joined;
            return;
          }
          this.head = undefined;
          if (end > MAX_HEAD_BYTES) return this.fail('response head too large');
          const rest = joined.subarray(end + 4);
          if (!this.parseHead(joined.toString('latin1', 0, end))) return;
          buf = rest;
          continue;
        }
        case State.Length: {
          const n = Math.min(this.remaining, buf.length);
          this.sink.body(buf.subarray(0, n));
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) return this.finish(buf.length > 0);
          continue;
        }
        case State.ChunkSize:
        case State.Trailers: {
          const nl = buf.indexOf(10);
          const part = buf.toString('latin1', 0, nl < 0 ? buf.length : nl + 1);
          this.line += part;
          buf = buf.subarray(part.length);
          if (this.line.length > MAX_CHUNK_LINE) return this.fail('chunk line too long');
          if (nl < 0) return;
          const line = this.line;
          this.line = '';
          if (!line.endsWith('\r\n')) return this.fail('bare LF in chunked body');
          if (this.state === State.Trailers) {
            if (line === '\r\n') return this.finish(buf.length > 0);
            this.trailerBytes += line.length;
            if (this.trailerBytes > MAX_HEAD_BYTES) return this.fail('trailers too large');
            continue;
          }
          const size = parseChunkSize(line);
          if (size < 0) return this.fail('bad chunk size');
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          continue;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, buf.length);
          this.sink.body(buf.subarray(0, n));
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.remaining = 2;
          }
          continue;
        }
        case State.ChunkDataEnd: {
          // Exactly CRLF after the data, possibly split across reads.
          const expect = this.remaining === 2 ? 13 : 10;
          if (buf[0] !== expect) return this.fail('missing CRLF after chunk data');
          buf = buf.subarray(1);
          if (--this.remaining === 0) this.state = State.ChunkSize;
          continue;
        }
        case State.Close:
          this.sink.body(buf);
          return;
        case State.Done:
          // Bytes after a complete response: the connection must not be reused.
          this.state = State.Failed;
          return;
        case State.Failed:
          return;
      }
    }
  }

  /** The upstream closed the connection (FIN). */
  eof(): void {
    if (this.state === State.Close) return this.finish(false);
    if (this.state === State.Done || this.state === State.Failed) return;
    this.fail(this.state === State.Head ? 'upstream closed before the response' : 'upstream closed mid-body');
  }

  private parseHead(text: string): boolean {
    // Status line: `HTTP/1.x NNN[ reason]`, checked by char code (no regex or split per response).
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const minorCode = text.charCodeAt(7);
    const s0 = text.charCodeAt(9) - 48;
    const s1 = text.charCodeAt(10) - 48;
    const s2 = text.charCodeAt(11) - 48;
    if (
      !text.startsWith('HTTP/1.', 0) ||
      (minorCode !== 48 && minorCode !== 49) ||
      text.charCodeAt(8) !== 32 ||
      !(s0 >= 1 && s0 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9) ||
      (eol > 12 && text.charCodeAt(12) !== 32) ||
      eol < 12 ||
      !fieldValueOk(text, 13, eol)
    ) {
      this.fail('malformed status line');
      return false;
    }
    const http10 = minorCode === 48;
    const status = s0 * 100 + s1 * 10 + s2;
    const reason = eol > 13 ? text.slice(13, eol) : '';
    const headers: [string, string][] = [];
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = http10;
    let pos = eol + 2;
    while (pos < text.length) {
      eol = text.indexOf('\r\n', pos);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', pos);
      if (colon <= pos || colon > eol) {
        this.fail('malformed header line');
        return false;
      }
      // The name: token characters only (also catches obs-fold's leading whitespace and a space before the colon).
      let upper = false;
      for (let i = pos; i < colon; i++) {
        const c = text.charCodeAt(i);
        if (c > 127 || TCHAR[c] === 0) {
          this.fail('malformed header name');
          return false;
        }
        if (c >= 65 && c <= 90) upper = true;
      }
      if (!fieldValueOk(text, colon + 1, eol)) {
        this.fail('malformed header value'); // a bare CR or LF, or NUL: never relayed
        return false;
      }
      const raw = text.slice(pos, colon);
      const name = upper ? raw.toLowerCase() : raw;
      const value = text.slice(colon + 1, eol).trim();
      pos = eol + 2;
      if (name === 'content-length') {
        const n = digits(value);
        if (n < 0 || (contentLength >= 0 && contentLength !== n)) {
          this.fail('bad or conflicting Content-Length');
          return false;
        }
        contentLength = n;
      } else if (name === 'transfer-encoding') {
        transferEncoding = true;
        const codings = value.toLowerCase().split(',');
        chunked = codings[codings.length - 1]!.trim() === 'chunked';
      } else if (name === 'connection') {
        // The common value first, without splitting.
        if (value.length === 10 && value.toLowerCase() === 'keep-alive') {
          if (http10) close = false;
        } else {
          for (const t of value.toLowerCase().split(',')) {
            const token = t.trim();
            if (token === 'close') close = true;
            else if (token === 'keep-alive' && http10) close = false;
          }
        }
      }
      headers.push([name, value]);
    }
    if (status < 200) {
      if (status === 101) {
        this.fail('upstream switched protocols without an upgrade request');
        return false;
      }
      return true; // 1xx interim response: skip it, keep reading heads.
    }
    // TE overrides CL, and a proxy must drop the received CL before forwarding
    // (RFC 9112 §6.3): relayed next to a re-framed body it would cut it short.
    if (transferEncoding && contentLength >= 0) removeHeader(headers, 'content-length');
    let framing: Framing;
    if (this.noBody || status === 204 || status === 304) framing = 'none';
    else if (transferEncoding) framing = chunked ? 'chunked' : 'close';
    else if (contentLength >= 0) framing = contentLength === 0 ? 'none' : 'length';
    else framing = 'close';
    // TE with CL is a smuggling signature (RFC 9112 §6.1): frame by TE, never reuse.
    const keepAlive = !close && framing !== 'close' && !(transferEncoding && contentLength >= 0);
    const head: ResponseHead = { status, reason, headers, framing, length: contentLength, keepAlive };
    this.state = framing === 'length' ? State.Length : framing === 'chunked' ? State.ChunkSize : framing === 'close' ? State.Close : State.Done;
    this.remaining = contentLength;
    this.sink.head(head);
    if (framing === 'none') this.sink.end(false);
    return true;
  }

  private finish(extra: boolean): void {
    this.state = extra ? State.Failed : State.Done;
    this.sink.end(extra);
  }

  private fail(reason: string): void {
    this.state = State.Failed;
    this.sink.error(reason);
  }
}
