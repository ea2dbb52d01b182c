import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { isIPv4Address, isIPv6Address } from '../../app/ip-address.ts';

test("isIPv6Address agrees with node:net's isIPv6, but takes no zone index", () => {
  assert.equal(isIPv6Address('fe80::1%eth0'), false);
  const cases = [
    '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
    '::ffff:10.0.0.1', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.256', '1::2::3', ':1', '1:', ':::', 'g::1', '12345::', 'abcd:ABCD::0',
    '1.2.3.4', '', '::1.2.3', '1::1.2.3.4', 'a:b:c:d:e:f:1.2.3.4',
  ];
  for (const s of cases) assert.equal(isIPv6Address(s), isIPv6(s), s);
});

test('isIPv4Address takes dotted quads of 0 to 255 without leading zeros', () => {
  for (const s of ['0.0.0.0', '10.0.0.1', '255.255.255.255']) assert.equal(isIPv4Address(s), true, s);
  for (const s of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d']) assert.equal(isIPv4Address(s), false, s);
});
