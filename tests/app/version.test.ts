/**
 * One version everywhere: package.json's `version`, `VERSION` (what
 * `golb --version` and `golb_build_info` report) and the newest release of
 * CHANGELOG.md agree; the changelog is shaped as Keep a Changelog says (an
 * Unreleased section, then releases newest first, each dated). What the
 * compiled binaries print is checked in tests/e2e/binary.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../app/version.ts';
import { ROOT } from '../support/harness.ts';

/** A `## [x.y.z] - yyyy-mm-dd` heading of the changelog. */
interface Release {
  version: string;
  date: string;
}

const CHANGELOG = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
const HEADINGS = CHANGELOG.split('\n').filter((line) => line.startsWith('## '));
const RELEASES: Release[] = HEADINGS.flatMap((line) => {
  const m = /^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$/.exec(line);
  return m === null ? [] : [{ version: m[1]!, date: m[2]! }];
});
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `1.2.3` → [1, 2, 3]. */
const parts = (version: string): number[] => version.split('.').map(Number);
/** Negative when `a` is an older version than `b`. */
const compareVersions = (a: string, b: string): number => {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
};

describe('the version', () => {
  test("package.json's version is VERSION", () => {
    assert.equal(VERSION, PACKAGE_VERSION);
  });

  test("CHANGELOG.md's newest release is VERSION", () => {
    assert.equal(RELEASES[0]?.version, VERSION, `newest release heading of CHANGELOG.md: ${HEADINGS.find((h) => h !== '## [Unreleased]')}`);
  });

  test('CHANGELOG.md: Unreleased first, then every release heading dated, newest first', () => {
    assert.equal(HEADINGS[0], '## [Unreleased]');
    assert.deepEqual(HEADINGS.slice(1), RELEASES.map((r) => `## [${r.version}] - ${r.date}`), 'each heading after Unreleased is ## [x.y.z] - yyyy-mm-dd');
    for (let i = 1; i < RELEASES.length; i++) {
      const [newer, older] = [RELEASES[i - 1]!, RELEASES[i]!];
      assert.ok(compareVersions(newer.version, older.version) > 0, `${newer.version} is listed above ${older.version}`);
      assert.ok(newer.date >= older.date, `${newer.version} (${newer.date}) is dated before ${older.version} (${older.date})`);
    }
    for (const r of RELEASES) assert.ok(!Number.isNaN(Date.parse(r.date)), `${r.version}'s date ${r.date}`);
  });
});
