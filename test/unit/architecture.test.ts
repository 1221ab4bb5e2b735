/**
 * The layout's arrows, checked over every source file: each layer imports only the layers below
 * it (README "Architecture"), workflow code reaches activities as types only, and no file imports
 * itself back through a circle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LAYERS = ['domain', 'store', 'venues', 'activities', 'workflows', 'api', 'workers', 'lib'] as const;
type Layer = (typeof LAYERS)[number];

/** The layers each layer may import values from (its own always allowed). */
const MAY_IMPORT: Record<Layer, readonly string[]> = {
  domain: [],
  lib: ['domain'],
  store: ['domain', 'lib'],
  venues: ['domain', 'lib'],
  activities: ['domain', 'store', 'venues', 'lib'],
  workflows: ['domain'],
  // The API reads through the store and starts workflows; price history comes straight from the
  // market-data providers (a read, no order is touched), the one place it reaches a venue.
  api: ['domain', 'store', 'lib', 'workflows', 'venues/market-data'],
  workers: ['domain', 'store', 'venues', 'activities', 'workflows', 'lib'],
};

/** Layers a layer may import types from, on top of MAY_IMPORT. */
const MAY_IMPORT_TYPES: Partial<Record<Layer, readonly string[]>> = {
  workflows: ['activities'],
  activities: ['workflows'],
};

/** Client-side files beside the workflows (not in the bundle): they may use the process's config and logger. */
const WORKFLOW_CLIENT_FILES = new Set(['workflows/clients.ts', 'workflows/schedules.ts']);

/** Packages the pure layers may use; everything else (I/O, clients, Node built-ins) stays out. */
const DOMAIN_PACKAGES = ['decimal.js', 'zod'];
const BUNDLE_PACKAGES = ['@temporalio/workflow', '@temporalio/common', ...DOMAIN_PACKAGES];

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

interface PackageUse {
  from: string;
  name: string;
  typeOnly: boolean;
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const layer of LAYERS) walk(layer);
  return out;
}

// `import … from`, `export … from`, bare `import '…'`, and `import('…')`. Only `import type` and
// `export type` count as types only: `import { type X }` still loads the module at run time.
const STATIC = /(?:^|;)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s*from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function specifiersOf(file: string): Array<{ spec: string; typeOnly: boolean }> {
  const src = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [
    ...[...src.matchAll(STATIC)].map((m) => ({ spec: m[3]!, typeOnly: Boolean(m[2]) })),
    ...[...src.matchAll(DYNAMIC)].map((m) => ({ spec: m[1]!, typeOnly: false })),
  ];
}

function edgesOf(file: string): Edge[] {
  return specifiersOf(file)
    .filter(({ spec }) => spec.startsWith('.'))
    .map(({ spec, typeOnly }) => {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      const to = fs.existsSync(path.join(ROOT, target)) ? target : `${target.replace(/\.ts$/, '')}/index.ts`;
      return { from: file, to, typeOnly };
    });
}

function packagesOf(file: string): PackageUse[] {
  return specifiersOf(file)
    .filter(({ spec }) => !spec.startsWith('.'))
    .map(({ spec, typeOnly }) => ({ from: file, name: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!, typeOnly }));
}

/** Files the workflow bundle loads: value imports followed from workflows/index.ts. */
function bundleOf(edges: Edge[]): Set<string> {
  const seen = new Set<string>();
  const queue = ['workflows/index.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const e of edges) if (e.from === file && !e.typeOnly) queue.push(e.to);
  }
  return seen;
}

/** Packages a pure file uses that it must not: domain/ files, and whatever the workflow bundle loads. */
function impurePackages(uses: PackageUse[], bundle: ReadonlySet<string>): string[] {
  return uses
    .filter((u) => !u.typeOnly)
    .filter((u) => (layerOf(u.from) === 'domain' && !DOMAIN_PACKAGES.includes(u.name)) || (bundle.has(u.from) && !BUNDLE_PACKAGES.includes(u.name)))
    .map((u) => `${u.from} uses ${u.name}`);
}

const layerOf = (file: string): Layer => file.split('/')[0] as Layer;
const allowed = (to: string, prefixes: readonly string[]): boolean => prefixes.some((p) => to === p || to.startsWith(`${p}/`));

function violations(edges: Edge[]): string[] {
  const bad: string[] = [];
  for (const { from, to, typeOnly } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === b) continue;
    const values = [...MAY_IMPORT[a], ...(a === 'workflows' && WORKFLOW_CLIENT_FILES.has(from) ? ['lib'] : [])];
    if (allowed(to, values)) continue;
    if (typeOnly && allowed(to, MAY_IMPORT_TYPES[a] ?? [])) continue;
    bad.push(`${from} -> ${to}${typeOnly ? ' (types)' : ''}`);
  }
  return bad;
}

/** Strongly connected groups of more than one file (Tarjan), type imports included. */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles();
const edges = files.flatMap(edgesOf);
const bundle = bundleOf(edges);

describe('architecture', () => {
  it('reads every layer and resolves every relative import to a file', () => {
    for (const layer of LAYERS) expect(files.some((f) => layerOf(f) === layer), layer).toBe(true);
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.filter((e) => !fs.existsSync(path.join(ROOT, e.to))).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('imports only downward: domain nothing of ours, store and venues the domain, activities no workflow values, the API no activities', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('keeps the domain and the workflow bundle pure: only workflows/ and domain/ files, no I/O packages', () => {
    expect(bundle.has('workflows/order-lifecycle.ts')).toBe(true);
    expect([...bundle].filter((f) => !['workflows', 'domain'].includes(layerOf(f)) || WORKFLOW_CLIENT_FILES.has(f))).toEqual([]);
    expect(impurePackages(files.flatMap(packagesOf), bundle)).toEqual([]);
  });

  it('catches an upward import, a value import of an activity in a workflow, and a circle', () => {
    expect(violations([{ from: 'api/routes/x.ts', to: 'activities/y.ts', typeOnly: false }])).toHaveLength(1);
    expect(violations([{ from: 'domain/x.ts', to: 'lib/db.ts', typeOnly: true }])).toHaveLength(1);
    expect(violations([{ from: 'workflows/x.ts', to: 'activities/y.ts', typeOnly: false }])).toHaveLength(1);
    expect(violations([{ from: 'workflows/x.ts', to: 'activities/y.ts', typeOnly: true }])).toEqual([]);
    expect(violations([{ from: 'workflows/x.ts', to: 'lib/config.ts', typeOnly: true }])).toHaveLength(1);
    expect(violations([{ from: 'workflows/clients.ts', to: 'lib/config.ts', typeOnly: true }])).toEqual([]);
    expect(violations([{ from: 'api/app.ts', to: 'venues/binance/http.ts', typeOnly: false }])).toHaveLength(1);
    expect(impurePackages([{ from: 'domain/x.ts', name: 'postgres', typeOnly: false }], new Set())).toHaveLength(1);
    expect(impurePackages([{ from: 'workflows/x.ts', name: '@temporalio/client', typeOnly: false }], new Set(['workflows/x.ts']))).toHaveLength(1);
    expect(bundleOf([{ from: 'workflows/index.ts', to: 'workflows/clients.ts', typeOnly: false }]).has('workflows/clients.ts')).toBe(true);
    expect(cycles([{ from: 'a', to: 'b', typeOnly: true }, { from: 'b', to: 'c', typeOnly: false }, { from: 'c', to: 'a', typeOnly: false }])).toEqual([['a', 'b', 'c']]);
  });
});
