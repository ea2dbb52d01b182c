// Writes the settings table of docs/configuration.md from app/config.ts's
// SETTINGS (`npm run docs:config`); with --print, prints the table only.
//   node --import tsx scripts/config-table.ts [--print]
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable, withSettingsTable } from './config-doc.ts';

const docPath = new URL('../docs/configuration.md', import.meta.url);
if (process.argv.includes('--print')) {
  console.log(settingsTable());
} else {
  const before = readFileSync(docPath, 'utf8');
  const after = withSettingsTable(before);
  if (after !== before) writeFileSync(docPath, after);
  console.log(after === before ? 'docs/configuration.md: up to date' : 'docs/configuration.md: settings table rewritten');
}
