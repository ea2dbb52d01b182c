/**
 * Textual IP address checks, with no `node:net` (on Bun, loading it holds
 * about 1 MB for good): weight values' targets (`sources/function-value.ts`)
 * and the Host of a probe (`server/connection.ts`).
 * @module
 */

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
/** A dotted-quad IPv4 address, each part 0 to 255 without leading zeros. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * True for an IPv6 address in text form (RFC 4291 section 2.2): eight groups
 * of one to four hex digits, one `::` standing for one or more zero groups, and
 * optionally a dotted IPv4 address as the last two groups. No zone index.
 * (`node:net`'s `isIPv6` says the same; not importing it spares Bun loading `node:net`.)
 */
export function isIPv6Address(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const tail = groups[groups.length - 1]!;
  let count = 0;
  if (tail.length > 0 && tail[tail.length - 1]!.includes('.')) {
    if (!isIPv4Address(tail.pop()!)) return false;
    count = 2;
  }
  for (const half of groups) {
    for (const group of half) if (!HEX_GROUP.test(group)) return false;
    count += half.length;
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** True for a dotted-quad IPv4 address (`10.0.0.1`; no leading zeros, each part up to 255). */
export function isIPv4Address(s: string): boolean {
  return IPV4.test(s);
}
