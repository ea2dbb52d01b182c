/**
 * What the framing and connection fields of one request head say
 * (Content-Length, Transfer-Encoding, Connection, Expect, how many Host), and
 * the rules that need all of them (RFC 9112 §3.2, §6.1, §6.3; RFC 9110
 * §10.1.1). The request parser (`request-parser.ts`) keeps one per
 * connection and clears it per head.
 * @module
 */
import { digits, isOws, listHasToken, sameTokenAt } from '../http/syntax.ts';
import { RequestKind } from '../http/request-headers.ts';

/** The framing facts of a request head; {@link status} and {@link reason} say why one was refused. */
export class RequestFacts {
  hosts = 0;
  contentLength = -1;
  teSeen = false;
  teLast = '';
  /** `chunked` before the last coding, or an empty element. */
  teMalformed = false;
  teEarlierOther = false;
  close = false;
  keepAliveToken = false;
  expectContinue = false;
  expectOther = false;
  /** The status of the last refusal (400, 417, 501). */
  status = 0;
  /** Why. */
  reason = '';

  /** Ready for the next head. */
  clear(): void {
    this.hosts = 0;
    this.contentLength = -1;
    this.teSeen = false;
    this.teLast = '';
    this.teMalformed = false;
    this.teEarlierOther = false;
    this.close = false;
    this.keepAliveToken = false;
    this.expectContinue = false;
    this.expectOther = false;
  }

  /**
   * Notes what a framing or connection field (Content-Length, Transfer-Encoding, Connection, Expect) means;
   * false for a bad Content-Length ({@link status}, {@link reason}). `value` is trimmed of OWS, but a
   * Connection value keeps its trailing OWS (an HTAB anywhere in it matters).
   */
  note(kind: RequestKind, value: string, http10: boolean): boolean {
    switch (kind) {
      case RequestKind.Expect:
        if (sameTokenAt(value, 0, value.length, '100-continue')) this.expectContinue = !http10;
        else this.expectOther = true;
        break;
      case RequestKind.Connection:
        if (listHasToken(value, 'close')) this.close = true;
        // llhttp does not see `keep-alive` in a field with an HTAB (which OWS allows): neither does golb, so such an HTTP/1.0 connection closes.
        if (listHasToken(value, 'keep-alive') && value.indexOf('\t') < 0) this.keepAliveToken = true;
        break;
      case RequestKind.ContentLength: {
        // One field with one value, or 400. RFC 9112 §6.3 lets a recipient take
        // identical repeats (two lines, or a list `5, 5`) as one value, but then
        // every reader after it must too: the routes read the field joined, `5, 5`,
        // which is no number, and the body went to the pod as an empty one.
        const n = digits(value);
        if (n < 0 || this.contentLength >= 0) return this.refuse(400, 'bad or repeated Content-Length');
        this.contentLength = n;
        break;
      }
      case RequestKind.TransferEncoding:
        this.noteCodings(value);
        break;
    }
    return true;
  }

  /** Follows the transfer codings in order, across fields: only the last one and what came before it matter. */
  private noteCodings(value: string): void {
    for (let start = 0; ; ) {
      let end = value.indexOf(',', start);
      if (end < 0) end = value.length;
      let a = start;
      let b = end;
      while (a < b && isOws(value.charCodeAt(a))) a++;
      while (b > a && isOws(value.charCodeAt(b - 1))) b--;
      if (this.teSeen) {
        // chunked must be applied once and last (RFC 9112 §6.1).
        if (this.teLast === 'chunked') this.teMalformed = true;
        else this.teEarlierOther = true;
      }
      if (a === b) this.teMalformed = true; // strict: no empty elements in a framing field
      this.teSeen = true;
      this.teLast = sameTokenAt(value, a, b, 'chunked') ? 'chunked' : value.slice(a, b).toLowerCase();
      if (end === value.length) return;
      start = end + 1;
    }
  }

  /** The rules that need the whole head (RFC 9112 §3.2, §6.1, §6.3; RFC 9110 §10.1.1); false when refused ({@link status}, {@link reason}). */
  check(http10: boolean): boolean {
    if (http10 ? this.hosts > 1 : this.hosts !== 1) return this.refuse(400, 'missing or repeated Host');
    if (this.teSeen) {
      // Never guess which of the two frames the body: that is how requests are smuggled.
      if (this.contentLength >= 0) return this.refuse(400, 'both Content-Length and Transfer-Encoding');
      if (http10) return this.refuse(400, 'Transfer-Encoding in an HTTP/1.0 request');
      if (this.teLast !== 'chunked' || this.teMalformed) return this.refuse(400, 'bad Transfer-Encoding');
      if (this.teEarlierOther) return this.refuse(501, 'transfer coding not supported');
    }
    if (this.expectOther) return this.refuse(417, 'unsupported expectation');
    return true;
  }

  private refuse(status: number, reason: string): false {
    this.status = status;
    this.reason = reason;
    return false;
  }
}
