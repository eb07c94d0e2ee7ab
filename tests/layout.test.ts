/**
 * Facts about the server's shape that a reader can check: no import cycles (type-only imports
 * included: a cycle of types still says two folders depend on each other), and the layers'
 * directions (the protocol and shared modules import nothing of the pipeline, stores nothing above them).
 */
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const SERVER = join(ROOT, 'server');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** server-relative path → the server files it imports (relative imports only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of filesUnder(SERVER)) {
    const source = readFileSync(file, 'utf8');
    const deps = [...source.matchAll(IMPORT)]
      .map((m) => resolve(dirname(file), m[1] ?? m[2]!))
      .filter((p) => p.startsWith(SERVER) && p.endsWith('.ts'))
      .map((p) => relative(SERVER, p));
    graph.set(relative(SERVER, file), [...new Set(deps)]);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

test('the import graph is read (a check that cannot see imports would pass anything)', () => {
  const graph = importGraph();
  expect(graph.get('proxy/handle.ts')).toEqual(expect.arrayContaining(['proxy/exchange.ts', 'proxy/attempts.ts', 'proxy/respond.ts']));
  expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts', 'a.ts']]);
});

test('no import cycles in server/', () => {
  expect(cycles(importGraph()).map((c) => c.join(' → '))).toEqual([]);
});

test('layers import downwards only', () => {
  const graph = importGraph();
  const importsOf = (prefix: string) => [...graph].filter(([file]) => file.startsWith(prefix)).flatMap(([, deps]) => deps);
  // Shared by every layer: they import nothing of the project but each other.
  for (const shared of ['json.ts', 'errors.ts', 'redact.ts']) {
    expect(graph.get(shared)!.filter((d) => !['json.ts', 'errors.ts'].includes(d))).toEqual([]);
  }
  // OpenAI's protocol knows nothing of the proxy, the admin or the stores.
  expect(importsOf('openai/').filter((d) => !d.startsWith('openai/') && !['json.ts', 'errors.ts'].includes(d))).toEqual([]);
  // Stores know nothing above them.
  expect(importsOf('store/').filter((d) => /^(proxy|admin|graphql|logs|configs|stats|openai)\//.test(d) || d === 'app.ts')).toEqual([]);
  // Nothing below the app imports it, and only main.ts listens.
  expect([...graph].filter(([file, deps]) => file !== 'main.ts' && deps.includes('app.ts')).map(([f]) => f)).toEqual([]);
});
