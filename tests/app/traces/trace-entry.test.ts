import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hopsOf } from '../../../app/traces/trace-entry.ts';

test("hops: each Via entry's received-by, then this node", () => {
  assert.deepEqual(hopsOf(null, 'gw-b'), ['gw-b']);
  assert.deepEqual(hopsOf('1.1 gw-a', 'gw-b'), ['gw-a', 'gw-b']);
  assert.deepEqual(hopsOf('1.0 edge (squid),1.1  gw-a , HTTP/1.1 lb', 'gw-b'), ['edge', 'gw-a', 'lb', 'gw-b']);
  assert.deepEqual(hopsOf('bare', 'n'), ['bare', 'n'], 'an entry without a protocol names itself');
  assert.deepEqual(hopsOf(`1.1 ${'x'.repeat(1000)}`, 'n')[0]!.length, 255, 'a long name is cut');
  assert.deepEqual(hopsOf(' , ', 'n'), ['n'], 'empty entries name nothing');
});
