// The embedded server's layer order (docs/server.md, "Layers"): every module imports only from layers
// below its own (or from its own folder), so the ground floor can be read, tested and reused without
// the routes above it. This reads the real import statements of src-main/server.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const SERVER = join(ROOT, 'src-main/server');

/** Bottom to top; a unit is a folder (`store/`) or a file at the server's root (`context.ts`). */
const LAYERS: readonly (readonly string[])[] = [
  ['base/', 'demo-users.ts'],
  ['store/', 'auth/'],
  ['topics/', 'simulator/'],
  ['subscriptions/'],
  ['context.ts'],
  ['channels/'],
  ['fhir/'],
  ['server.ts'],
  ['cli.ts'],
];
/** Project folders outside the server it may use: the runtime-neutral library and the shared reader. */
const OUTSIDE_ALLOWED = ['src-main/lib/', 'src-main/shared/'];

function unitOf(serverPath: string): string {
  const slash = serverPath.indexOf('/');
  return slash < 0 ? serverPath : serverPath.slice(0, slash + 1);
}

function layerOf(unit: string): number {
  const layer = LAYERS.findIndex((units) => units.includes(unit));
  if (layer < 0)
    throw new Error(`src-main/server/${unit} is in no layer: add it to LAYERS and docs/server.md`);
  return layer;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Relative specifiers of static imports/re-exports and dynamic imports. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)) {
    if (match[1]) found.push(match[1]);
  }
  return found;
}

interface Edge {
  from: string;
  to: string;
}

function serverImports(): Edge[] {
  return sourceFiles(SERVER).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => ({
      from: relative(ROOT, file),
      to: normalize(relative(ROOT, join(dirname(file), spec))),
    })),
  );
}

/** Imports that break the order: upward, or into a project folder the server may not use. */
function violations(edges: readonly Edge[]): string[] {
  const prefix = 'src-main/server/';
  return edges
    .filter(({ from, to }) => {
      const fromUnit = unitOf(from.slice(prefix.length));
      if (!to.startsWith(prefix)) return !OUTSIDE_ALLOWED.some((allowed) => to.startsWith(allowed));
      const toUnit = unitOf(to.slice(prefix.length));
      return toUnit !== fromUnit && layerOf(toUnit) >= layerOf(fromUnit);
    })
    .map(({ from, to }) => `${from} -> ${to}`);
}

describe('the embedded server layer order', () => {
  it('reads the imports of every server module', () => {
    const edges = serverImports();
    // A broken parser would find nothing and pass vacuously.
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({
      from: 'src-main/server/fhir/routes.ts',
      to: 'src-main/server/base/http.ts',
    });
    expect(edges).toContainEqual({
      from: 'src-main/server/base/authz.ts',
      to: 'src-main/shared/fhir-json.ts',
    });
  });

  it('places every module in a layer', () => {
    for (const file of sourceFiles(SERVER)) layerOf(unitOf(relative(SERVER, file)));
  });

  it('has no import that runs upward or sideways within a layer, nor into core or the app', () => {
    expect(violations(serverImports())).toEqual([]);
  });

  it('would report an upward import', () => {
    expect(
      violations([
        { from: 'src-main/server/store/resources.ts', to: 'src-main/server/fhir/routes.ts' },
        { from: 'src-main/server/base/http.ts', to: 'src-main/server/auth/store.ts' },
        { from: 'src-main/server/topics/evaluate.ts', to: 'src-main/server/simulator/index.ts' },
        { from: 'src-main/server/channels/sse.ts', to: 'src-main/core/log.ts' },
        { from: 'src-main/server/fhir/routes.ts', to: 'src-main/server/base/http.ts' },
      ]),
    ).toEqual([
      'src-main/server/store/resources.ts -> src-main/server/fhir/routes.ts',
      'src-main/server/base/http.ts -> src-main/server/auth/store.ts',
      'src-main/server/topics/evaluate.ts -> src-main/server/simulator/index.ts',
      'src-main/server/channels/sse.ts -> src-main/core/log.ts',
    ]);
  });
});
