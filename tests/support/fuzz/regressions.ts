/**
 * Every divergence the differential fuzz found, as the input that showed it:
 * golb was looser than llhttp on each, until the fix named. The fuzz tests
 * replay them, whole and cut at every point; the parsers' own unit tests hold
 * a case for each too.
 * @module
 */
import type { Target } from './compare.ts';

export interface Regression {
  target: Target;
  /** What golb did, and the fix. */
  what: string;
  bytes: string;
  isHead?: boolean;
  eof?: boolean;
}

export const REGRESSIONS: Regression[] = [
  {
    target: 'request',
    what: 'golb took a chunk extension with spaces around = (llhttp: HPE_STRICT); extensions are now ;name[=token|quoted-string], no whitespace',
    bytes: 'OPTIONS /function/f/x HTTP/1.1\r\nHost: a:80\r\nTransfer-Encoding: chunked\r\n\r\nc; a = b\r\noshmroae\nels\r\n0\r\n\r\n',
  },
  {
    target: 'request',
    what: 'golb took an empty chunk extension `4;` (llhttp: HPE_STRICT)',
    bytes: 'POST http://h:1/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: a\r\n\r\n4;\r\n\r hl\r\n0 ;a=b\r\n\r\n',
  },
  {
    target: 'request',
    what: 'golb took an HTAB between a chunk size and its extension (llhttp: HPE_INVALID_CHUNK_SIZE)',
    bytes: 'DELETE https://h/a?b HTTP/1.1\r\nHost: a:80\r\nTransfer-Encoding: chunked\r\n\r\n9\t;a\r\nhwlfl\nfel\r\n0\t;a\r\n\r\n',
  },
  {
    target: 'request',
    what: 'golb dropped a Content-Length trailer (llhttp: HPE_INVALID_CONTENT_LENGTH); framing trailers are now refused',
    bytes: 'HEAD /function/f/x HTTP/1.1\r\nhost: a\r\nX-A: b\r\nX-A:  b  \r\nTransfer-Encoding: chunked\r\n\r\n9;a\r\n\r\r0\r\n\r\n l\r\n0;a=b;c\r\nContent-Length: 5\r\n\r\n',
  },
  {
    target: 'request',
    what: 'golb read on after a Connection: close trailer, which llhttp closes on (HPE_CLOSED_CONNECTION); Connection trailers are now refused',
    bytes: 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n',
  },
  {
    target: 'request',
    what: 'golb took `chunked<HTAB>` as chunked (llhttp: HPE_INVALID_TRANSFER_ENCODING); an HTAB in a framing value is now refused',
    bytes: 'PUT /f/%20 HTTP/1.1\r\nTransfer-Encoding: chunked\t\r\nHost:a\r\n\r\n0\r\n\r\n',
  },
  {
    target: 'request',
    what: 'golb kept an HTTP/1.0 connection on `keep-alive<HTAB>`, which llhttp does not read as keep-alive',
    bytes: 'GET http://h:1/a HTTP/1.0\r\nConnection: keep-alive\t\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\nGET / HTTP/1.0\r\n\r\n',
  },
  {
    target: 'response',
    what: 'golb framed Transfer-Encoding with Content-Length by TE (llhttp: HPE_INVALID_CONTENT_LENGTH); refused now',
    bytes: 'HTTP/1.1 200 OK\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\n000;a\r\n\r\n',
  },
  {
    target: 'response',
    what: 'golb took an identical repeated Content-Length (llhttp: HPE_UNEXPECTED_CONTENT_LENGTH); refused now',
    bytes: 'HTTP/1.0 200 OK\r\nContent-Length: 14\r\nContent-Length: 14\r\n\r\nw e o \n\rn\xfff;i,',
  },
  {
    target: 'response',
    what: 'golb reused the connection after an answer to HEAD with no length, which Node\'s client does not',
    bytes: 'HTTP/1.1 200 OK\r\nVia: 1.1 x\r\n\r\n',
    isHead: true,
  },
  {
    target: 'response',
    what: 'golb read to the close on `chunked` then an empty Transfer-Encoding, which llhttp frames as chunked; an empty TE is refused now',
    bytes: 'HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: \r\n\r\n4\r\n0GET\r\n0;a=\x00\n\r\n',
    eof: true,
  },
  {
    target: 'response',
    what: 'golb reused an HTTP/1.0 connection on `keep-alive<HTAB>`',
    bytes: 'HTTP/1.0 200 OK\r\nX-A: b\r\nContent-Length: 0\r\nConnection: keep-alive\t\r\n\r\n',
  },
  {
    target: 'response',
    what: 'golb took an empty chunk extension (llhttp: HPE_STRICT)',
    bytes: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0;\r\n\r\n',
    eof: true,
  },
  {
    target: 'response',
    what: 'golb took any trailer line unchecked (llhttp: HPE_INVALID_CONTENT_LENGTH for this one); trailers are checked as fields now',
    bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n',
  },
  {
    target: 'response',
    what: 'golb read a final response after an HTTP/1.0 1xx, after which llhttp reads nothing (HPE_CLOSED_CONNECTION); refused now',
    bytes: 'HTTP/1.0 102 Processing\r\nContent-Length: 2\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Legth: 0\r\n\r\n',
    eof: true,
  },
];
