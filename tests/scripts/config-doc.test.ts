/** docs/configuration.md's settings table is the one app/config.ts's SETTINGS gives (`npm run docs:config` rewrites it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../../app/config.ts';
import { BEGIN_MARK, END_MARK, settingsTable, withSettingsTable } from '../../scripts/config-doc.ts';

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

test('docs/configuration.md carries the settings table as SETTINGS gives it', () => {
  assert.ok(doc.includes(BEGIN_MARK) && doc.includes(END_MARK), 'the table markers are missing');
  assert.equal(doc, withSettingsTable(doc), 'docs/configuration.md is stale: run `npm run docs:config` and commit the result');
});

test('the table has one row per setting, naming its variable and every flag', () => {
  const rows = settingsTable().split('\n').slice(2);
  assert.equal(rows.length, SETTINGS.length);
  SETTINGS.forEach((s, i) => {
    if (s.env !== undefined) assert.ok(rows[i]!.includes(`\`${s.env}\``), `${s.env} missing from its row`);
    for (const f of s.flags) assert.ok(rows[i]!.includes(`\`--${f}\``), `--${f} missing from its row`);
  });
});

test('a stale table is rewritten, the text around it kept', () => {
  const stale = `# head\n\n${BEGIN_MARK}\n| old | table |\n${END_MARK}\n\ntail\n`;
  const fresh = withSettingsTable(stale);
  assert.notEqual(fresh, stale);
  assert.ok(fresh.startsWith(`# head\n\n${BEGIN_MARK}\n| variable | flag | default | meaning |`));
  assert.ok(fresh.endsWith(`\n${END_MARK}\n\ntail\n`));
  assert.throws(() => withSettingsTable('# no markers\n'), /markers/);
});
