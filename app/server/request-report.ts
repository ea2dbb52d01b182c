/**
 * What the request parser (`request-parser.ts`) reports to its connection:
 * each request's head, then its body pieces and its end, or an error.
 * @module
 */
import type { RequestHeaders } from '../http/request-headers.ts';

/** A parsed request head. */
export interface RequestHead {
  /** The method token, case-sensitive as received. */
  method: string;
  /** origin-form path+query as received ("/a?b"); an absolute-form target "http://h:1/a?b" is reduced to "/a?b" ("/" when no path); "*" stays "*" (only allowed with OPTIONS) */
  target: string;
  /**
   * An absolute-form target's authority ("h:1"), which stands for the Host
   * field (RFC 9112 §3.2.2); undefined for the other forms. Checked like Host.
   */
  authority: string | undefined;
  /** HTTP/1.0 (else HTTP/1.1). */
  http10: boolean;
  /** The header fields as received. */
  headers: RequestHeaders;
  /** Content-Length, or -1 when absent */
  contentLength: number;
  /** Transfer-Encoding: chunked */
  chunked: boolean;
  /** The connection may stay open after this exchange: HTTP/1.1 unless Connection has `close`; HTTP/1.0 only with `keep-alive` */
  keepAlive: boolean;
  /** Expect: 100-continue (HTTP/1.1 only) */
  expectContinue: boolean;
}

/** Where the parser reports, for one request at a time. */
export interface RequestSink {
  /** The head is parsed. Body chunks (if any) follow, then end(). */
  head(head: RequestHead): void;
  /**
   * Body bytes (de-chunked), never empty: everything one `feed` call read of
   * the body, in one call (before its end() or error(), if any). The chunk is
   * a view into the buffer given to `feed`: valid during the call only, so a
   * sink that keeps it longer (rather than handing it on at once) must copy it.
   */
  body(chunk: Uint8Array): void;
  /** The request (head and body) is complete. */
  end(): void;
  /** The request is malformed: answer `status` (400, 417, 431, 501, 505) with `reason` and close. Called at most once; nothing is reported after it. May come after head() (a bad chunk in the body). */
  error(status: number, reason: string): void;
}
