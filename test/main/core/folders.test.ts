// The client core's folders depend on each other one way only (docs/architecture.md, "Layers and import
// boundaries"): no folder cycle, so each folder can be read and tested with only what it imports. This
// reads the real import statements of src-main/core.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importEdges, ROOT, unitOf, type ImportEdge } from '../../support/import-graph.ts';

const CORE = 'src-main/core/';

/** Folder-to-folder dependencies inside the core (files at the core's root are units of their own). */
function folderGraph(edges: readonly ImportEdge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!to.startsWith(CORE)) continue;
    const a = unitOf(from, CORE);
    const b = unitOf(to, CORE);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)?.add(b);
  }
  return graph;
}

/** Every cycle's folders, found by depth-first search (each reported once, as first met). */
function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (unit: string, path: string[]) => {
    const at = path.indexOf(unit);
    if (at >= 0) {
      found.push([...path.slice(at), unit].join(' -> '));
      return;
    }
    if (done.has(unit)) return;
    for (const next of graph.get(unit) ?? []) visit(next, [...path, unit]);
    done.add(unit);
  };
  for (const unit of graph.keys()) visit(unit, []);
  return found;
}

describe('the client core folders', () => {
  const edges = importEdges(join(ROOT, CORE));

  it('reads the imports of every core module', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'src-main/core/service.ts', to: 'src-main/core/ports.ts' });
  });

  it('have no folder cycle', () => {
    expect(cycles(folderGraph(edges))).toEqual([]);
  });

  it('would report a cycle', () => {
    const graph = folderGraph([
      ...edges,
      { from: 'src-main/core/store/alert-store.ts', to: 'src-main/core/monitor/monitor.ts' },
    ]);
    expect(cycles(graph).some((c) => c.startsWith('store/') || c.includes('-> store/'))).toBe(true);
  });
});
