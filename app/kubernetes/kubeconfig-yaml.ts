/**
 * Reads a kubeconfig file: JSON, or the block YAML that `kubectl config`
 * writes (maps, lists of maps, plain and quoted scalars, `{}` and `[]`).
 * Anchors, multi-line scalars and flow collections with content are not
 * kubeconfig's and are not read; a file using them is refused by what reads
 * the result (a missing field), never misread silently into another value.
 * @module
 */

interface Line {
  indent: number;
  text: string;
}

/** Parses a kubeconfig's text into plain objects. */
export function parseKubeconfig(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  const lines: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(raw) || raw === '---') continue;
    const indent = raw.length - raw.trimStart().length;
    lines.push({ indent, text: raw.trim() });
  }
  if (lines.length === 0) return {};
  return parseBlock(lines, 0, lines[0]!.indent)[0];
}

const isItem = (text: string): boolean => text === '-' || text.startsWith('- ');

/** Parses the block starting at line `i` whose lines are indented `indent`; returns it and the next line's index. */
function parseBlock(lines: Line[], i: number, indent: number): [unknown, number] {
  const first = lines[i];
  if (first === undefined) return [null, i];
  if (isItem(first.text)) {
    const list: unknown[] = [];
    while (i < lines.length && lines[i]!.indent === indent && isItem(lines[i]!.text)) {
      const line = lines[i]!;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        const next = lines[i + 1];
        if (next === undefined || next.indent <= indent) {
          list.push(null);
          i++;
        } else {
          const [value, after] = parseBlock(lines, i + 1, next.indent);
          list.push(value);
          i = after;
        }
      } else if (/^[^'"{[][^:]*:(\s|$)/.test(rest)) {
        // `- key: value`: a map whose first key sits after the dash.
        const column = indent + (line.text.length - rest.length);
        lines[i] = { indent: column, text: rest };
        const [value, after] = parseBlock(lines, i, column);
        list.push(value);
        i = after;
      } else {
        list.push(scalar(rest));
        i++;
      }
    }
    return [list, i];
  }
  const map: Record<string, unknown> = {};
  while (i < lines.length && lines[i]!.indent === indent && !isItem(lines[i]!.text)) {
    const m = /^("[^"]*"|'[^']*'|[^:]+?):(?:\s+(.*))?$/.exec(lines[i]!.text);
    if (m === null) throw new SyntaxError(`kubeconfig: cannot read line "${lines[i]!.text}"`);
    const key = String(scalar(m[1]!));
    i++;
    if (m[2] !== undefined && m[2] !== '') {
      map[key] = scalar(m[2]);
      continue;
    }
    const next = lines[i];
    if (next !== undefined && (next.indent > indent || (next.indent === indent && isItem(next.text)))) {
      const [value, after] = parseBlock(lines, i, next.indent);
      map[key] = value;
      i = after;
    } else map[key] = null;
  }
  return [map, i];
}

function scalar(raw: string): unknown {
  const s = raw.trim();
  if (s.startsWith('"')) return JSON.parse(s);
  if (s.startsWith("'")) return s.slice(1, s.lastIndexOf("'")).replaceAll("''", "'");
  const plain = s.replace(/\s+#.*$/, '');
  if (plain === '{}') return {};
  if (plain === '[]') return [];
  if (plain === 'null' || plain === '~') return null;
  if (plain === 'true') return true;
  if (plain === 'false') return false;
  return plain;
}
