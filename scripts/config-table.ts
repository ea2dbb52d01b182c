// Prints the README's configuration table from app/config.ts's SETTINGS, so the
// documentation is derived from the one table the parser uses:
//   node --import tsx scripts/config-table.ts
import { SETTINGS } from '../app/config.ts';

const rows = SETTINGS.map((s) => {
  const env = s.env === undefined ? '–' : `\`${s.env}\``;
  const flags = s.flags.map((f) => `\`--${f}\``).join(', ');
  return `| ${env} | ${flags} | ${s.defaultText.replace(/\|/g, '\\|')} | ${s.doc.replace(/\|/g, '\\|')} |`;
});
console.log(['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n'));
