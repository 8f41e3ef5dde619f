// The embedded server's layer order (docs/server.md, "Layers"): every module imports only from layers
// below its own (or from its own folder), so the ground floor can be read, tested and reused without
// the routes above it. This reads the real import statements of src-main/server.
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importEdges, ROOT, sourceFiles, unitOf, type ImportEdge } from '../../support/import-graph.ts';

const SERVER = join(ROOT, 'src-main/server');
const PREFIX = 'src-main/server/';

/** Bottom to top; a unit is a folder (`store/`) or a file at the server's root (`context.ts`). */
const LAYERS: readonly (readonly string[])[] = [
  ['base/'],
  ['demo-users.ts'],
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

function layerOf(unit: string): number {
  const layer = LAYERS.findIndex((units) => units.includes(unit));
  if (layer < 0)
    throw new Error(`src-main/server/${unit} is in no layer: add it to LAYERS and docs/server.md`);
  return layer;
}

const serverImports = (): ImportEdge[] => importEdges(SERVER);

/** Imports that break the order: upward, or into a project folder the server may not use. */
function violations(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter(({ from, to }) => {
      const fromUnit = unitOf(from, PREFIX);
      if (!to.startsWith(PREFIX)) return !OUTSIDE_ALLOWED.some((allowed) => to.startsWith(allowed));
      const toUnit = unitOf(to, PREFIX);
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
    for (const file of sourceFiles(SERVER)) layerOf(unitOf(relative(ROOT, file), PREFIX));
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
