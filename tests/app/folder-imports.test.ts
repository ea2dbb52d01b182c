// The layers show in folders: no import cycle between the folders of app/
// (app/http, app/net, app/server, ...), routes/ and strategies/. The files
// directly in app/ are the assembly (start, serve, create-app, the entries)
// and the shared vocabulary (errors, deps, client-request, ...), so they
// are not a layer of their own. Type-only imports count: a folder that needs
// another's types knows that folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The .ts files under `dir` (relative to the repository). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) return sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** The layer a file belongs to: its folder, or undefined for a file directly in app/. */
function layerOf(file: string): string | undefined {
  const dir = dirname(file);
  return dir === 'app' ? undefined : dir;
}

/** Folder → folders it imports from, with one import that shows each edge. */
function folderGraph(files: string[]): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = layerOf(file);
    if (from === undefined) continue;
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]!));
      const to = layerOf(target);
      if (to === undefined || to === from || relative(ROOT, join(ROOT, target)).startsWith('..')) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, `${file} imports ${target}`);
    }
  }
  return graph;
}

/** A cycle in `graph` as the imports that make it, or undefined. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        return loop.slice(1).map((to, i) => graph.get(loop[i]!)!.get(to)!);
      }
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found !== undefined) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) !== undefined) continue;
    const found = visit(node);
    if (found !== undefined) return found;
  }
  return undefined;
}

test('no import cycle between the folders of app/, routes/ and strategies/', () => {
  const files = ['app', 'routes', 'strategies'].flatMap(sources);
  assert.ok(files.length > 50, `found ${files.length} source files`);
  assert.deepEqual(findCycle(folderGraph(files)), undefined);
});

test('the cycle check finds a cycle between two folders', () => {
  const graph = new Map([
    ['app/a', new Map([['app/b', 'app/a/x.ts imports app/b/y.ts']])],
    ['app/b', new Map([['app/a', 'app/b/y.ts imports app/a/z.ts']])],
  ]);
  assert.deepEqual(findCycle(graph), ['app/a/x.ts imports app/b/y.ts', 'app/b/y.ts imports app/a/z.ts']);
});
