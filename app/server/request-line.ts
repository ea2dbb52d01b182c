/**
 * The byte-level reading of a request head's lines for the request parser
 * (`request-parser.ts`): the request line, a field line's offsets, where a
 * line ends, the method, the absolute-form target, and the bare line ends a
 * smuggler hides.
 * @module
 */
import { dropOws, isTchar, sameBytes, sameTokenAt, skipOws } from '../http/syntax.ts';
import { REQUEST_FIELD_INTS, requestKindOf } from '../http/request-headers.ts';
import { authorityTextOk } from './authority.ts';

/**
 * The field line `buf[pos, eol)`, `name: value`: its offsets and kind go into
 * `fields` at `at` ({@link REQUEST_FIELD_INTS}); false when malformed.
 */
export function fieldAt(buf: Buffer, pos: number, eol: number, fields: Int32Array, at: number): boolean {
  // The name: token characters up to the colon (this also refuses obs-fold and a space before the colon).
  let colon = pos;
  for (; colon < eol; colon++) {
    const c = buf[colon]!;
    if (c === 58) break;
    if (!isTchar(c)) return false;
  }
  if (colon === pos || colon === eol) return false;
  const a = skipOws(buf, colon + 1, eol);
  const b = dropOws(buf, a, eol);
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if ((c < 32 && c !== 9) || c === 127) return false; // field-content (RFC 9110 §5.5); obs-text passes
  }
  fields[at] = pos;
  fields[at + 1] = colon;
  fields[at + 2] = a;
  fields[at + 3] = b;
  fields[at + 4] = eol;
  fields[at + 5] = requestKindOf(buf, pos, colon);
  return true;
}

/** Where the line starting at `from` ends: its CRLF, or `end`. A bare CR stays inside the line (and fails its checks). */
export function lineEnd(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return end;
}

/** The usual methods as constants: no string is made for them. */
const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS'];

/** The method `buf[0, end)`. */
export function methodAt(buf: Buffer, end: number): string {
  for (const m of METHODS) if (sameBytes(buf, 0, end, m)) return m;
  return buf.toString('latin1', 0, end);
}

/**
 * An absolute-form `http(s)://authority[/path][?query]` target split into its
 * authority and its path and query ("/" when no path), or null.
 */
export function absoluteForm(target: string): { authority: string; path: string } | null {
  const scheme = sameTokenAt(target, 0, 7, 'http://') ? 7 : sameTokenAt(target, 0, 8, 'https://') ? 8 : 0;
  if (scheme === 0) return null;
  let i = scheme;
  while (i < target.length && target.charCodeAt(i) !== 47 && target.charCodeAt(i) !== 63) i++;
  if (i === scheme) return null; // no authority
  const authority = target.slice(scheme, i);
  if (i === target.length) return { authority, path: '/' };
  return { authority, path: target.charCodeAt(i) === 47 ? target.slice(i) : `/${target.slice(i)}` };
}

/** True when `buf` from `from` holds an LF not after a CR, or a CR followed by something other than LF. */
export function bareLineEnd(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c === 10 && (i === 0 || buf[i - 1] !== 13)) return true;
    if (c === 13 && i + 1 < buf.length && buf[i + 1] !== 10) return true;
  }
  return false;
}

/**
 * The request line `method SP target SP HTTP/1.x` of one head, read in place;
 * the parser keeps one and reuses it for every head of its connection.
 */
export class RequestLine {
  /** The method token, case-sensitive as received. */
  method = '';
  /** origin-form path and query; an absolute-form target reduced to its path and query; `*` (OPTIONS only). */
  target = '';
  /** An absolute-form target's authority, which stands for Host; undefined otherwise. */
  authority: string | undefined = undefined;
  /** HTTP/1.0 (else HTTP/1.1). */
  http10 = false;
  /** Why the last {@link parse} refused the line: the status to answer and the reason. */
  status = 0;
  reason = '';

  /** Reads the line `buf[0, eol)`; false (with {@link status} and {@link reason}) when it is refused. */
  parse(buf: Buffer, eol: number): boolean {
    let sp1 = 0;
    while (sp1 < eol && isTchar(buf[sp1]!)) sp1++;
    let sp2 = sp1 + 1;
    // Target: visible ASCII only (no controls, SP, DEL or obs-text).
    while (sp2 < eol && buf[sp2]! > 32 && buf[sp2]! < 127) sp2++;
    if (sp1 === 0 || buf[sp1] !== 32 || sp2 === sp1 + 1 || buf[sp2] !== 32) {
      return this.refuse(400, 'malformed request line');
    }
    const v = sp2 + 1;
    const major = buf[v + 5]! - 48;
    const minor = buf[v + 7]! - 48;
    if (eol - v !== 8 || !sameBytes(buf, v, v + 5, 'HTTP/') || buf[v + 6] !== 46 || !(major >= 0 && major <= 9 && minor >= 0 && minor <= 9)) {
      return this.refuse(400, 'malformed HTTP version');
    }
    if (major !== 1 || minor > 1) return this.refuse(505, 'HTTP version not supported');
    this.method = methodAt(buf, sp1);
    this.http10 = minor === 0;
    const target = buf.toString('latin1', sp1 + 1, sp2);
    this.authority = undefined;
    if (target.charCodeAt(0) === 47) this.target = target;
    else if (target === '*') {
      if (this.method !== 'OPTIONS') return this.refuse(400, 'asterisk-form target without OPTIONS');
      this.target = target;
    } else {
      const split = absoluteForm(target);
      if (split === null) return this.refuse(400, 'unsupported request target');
      if (!authorityTextOk(split.authority)) return this.refuse(400, 'malformed authority in the request target');
      this.target = split.path;
      this.authority = split.authority;
    }
    if (this.method === 'CONNECT') return this.refuse(400, 'CONNECT is not supported');
    return true;
  }

  private refuse(status: number, reason: string): false {
    this.status = status;
    this.reason = reason;
    return false;
  }
}
