import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASSUMED_DESCRIPTOR_LIMIT, autoMaxConnections, parseOpenFilesLimit } from '../../../app/server/connection-limit.ts';

/** `/proc/self/limits` as Linux writes it, with the open-files line given. */
const limits = (openFiles: string): string =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max processes             127423               127423               processes ',
    openFiles,
    'Max locked memory         8388608              8388608              bytes     ',
    '',
  ].join('\n');

test('parseOpenFilesLimit: the soft and hard open-files limits of /proc/self/limits', () => {
  assert.deepEqual(parseOpenFilesLimit(limits('Max open files            1024                 524288               files     ')), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseOpenFilesLimit(limits('Max open files            20000                20000                files     ')), { soft: 20000, hard: 20000 });
  assert.deepEqual(parseOpenFilesLimit(limits('Max open files            unlimited            unlimited            files     ')), { soft: Infinity, hard: Infinity });
});

test('parseOpenFilesLimit: undefined without the line or with words that are no numbers', () => {
  assert.equal(parseOpenFilesLimit(''), undefined);
  assert.equal(parseOpenFilesLimit(limits('Max open filez            1024                 1024                 files     ')), undefined);
  assert.equal(parseOpenFilesLimit(limits('Max open files            1024                 many                 files     ')), undefined);
  assert.equal(parseOpenFilesLimit(limits('Max open files            -1                   1024                 files     ')), undefined);
  assert.equal(parseOpenFilesLimit(limits('Max open files')), undefined);
});

test('autoMaxConnections: half of what the reserve leaves, a third with a management listener', () => {
  // [descriptor limit, management listener, cap]
  const cases: [number, boolean, number][] = [
    [20_000, false, 9_872], // (20,000 - 256) / 2
    [20_000, true, 6_581], // (20,000 - 256) / 3
    [1_024, false, 384],
    [1_024, true, 256],
    [1_048_576, false, 524_160],
    [Infinity, false, 524_160], // unlimited: taken as Linux's fs.nr_open
    [256, false, 96], // a small limit reserves a quarter: (256 - 64) / 2
    [64, false, 24],
    [2, false, 1], // never 0: 0 would refuse every connection
    [0, true, 1],
  ];
  for (const [limit, mgmt, cap] of cases) assert.equal(autoMaxConnections(limit, mgmt), cap, `${limit} descriptors, management ${mgmt}`);
});

test('autoMaxConnections: both listeners full, with an upstream socket per traffic connection, stay under the limit', () => {
  for (const limit of [8, 100, ASSUMED_DESCRIPTOR_LIMIT, 4_096, 20_000, 65_536, 1_048_576]) {
    const cap = autoMaxConnections(limit, false);
    assert.ok(2 * cap < limit, `${limit}: ${cap}`);
    const withMgmt = autoMaxConnections(limit, true);
    assert.ok(2 * withMgmt + withMgmt < limit, `${limit}: ${withMgmt} with management`);
  }
});
