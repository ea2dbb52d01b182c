/**
 * docs/configuration.md's settings table, derived from app/config.ts's SETTINGS
 * (the one table the parser and `golb --help` use). The table sits between two
 * marker lines; everything around them is written by hand. `npm run docs:config`
 * rewrites it (scripts/config-table.ts); tests/scripts/config-doc.test.ts fails
 * when the committed doc differs from what SETTINGS gives.
 */
import { SETTINGS } from '../app/config.ts';

export const BEGIN_MARK = '<!-- settings table: generated from app/config.ts by `npm run docs:config`; do not edit by hand -->';
export const END_MARK = '<!-- end of the generated settings table -->';

/** A table cell: `|` would end the cell and `<zone>` would read as an HTML tag. */
const cell = (text: string): string => text.replace(/[|<]/g, (c) => `\\${c}`);

/** The markdown table: one row per setting, in SETTINGS' order. */
export function settingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const env = s.env === undefined ? '–' : `\`${s.env}\``;
    const flags = s.flags.map((f) => `\`--${f}\``).join(', ');
    return `| ${env} | ${flags} | ${cell(s.defaultText)} | ${cell(s.doc)} |`;
  });
  return ['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `doc` with the text between its two markers replaced by the current table; throws without both markers. */
export function withSettingsTable(doc: string): string {
  const begin = doc.indexOf(BEGIN_MARK);
  const end = doc.indexOf(END_MARK);
  if (begin < 0 || end < begin) throw new Error(`the doc lacks the settings table's markers:\n${BEGIN_MARK}\n${END_MARK}`);
  return `${doc.slice(0, begin + BEGIN_MARK.length)}\n${settingsTable()}\n${doc.slice(end)}`;
}
