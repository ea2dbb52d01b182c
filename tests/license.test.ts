/**
 * The LICENSE a release carries is the license package.json declares:
 * the Apache License 2.0, word for word as the Apache Software Foundation
 * publishes it (https://www.apache.org/licenses/LICENSE-2.0.txt, the same bytes
 * as Debian's /usr/share/common-licenses/Apache-2.0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/harness.ts';

/** SHA-256 of the Apache License 2.0 text as published (LICENSE-2.0.txt, 11,358 bytes). */
const APACHE_2_0_SHA256 = 'cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30';

test("LICENSE is the Apache License 2.0 text, the license package.json declares", () => {
  const license = readFileSync(join(ROOT, 'LICENSE'));
  const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
  assert.equal(packageJson.license, 'Apache-2.0');
  assert.match(license.toString('utf8'), /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
  assert.equal(createHash('sha256').update(license).digest('hex'), APACHE_2_0_SHA256, 'LICENSE differs from the published Apache License 2.0 text');
});
