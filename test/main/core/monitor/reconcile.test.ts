// Reconciliation reads a search Bundle from the server: untrusted JSON, so odd shapes are skipped,
// never thrown on.
import { describe, expect, it } from 'vitest';
import { changedResources, reconcileSearch } from '../../../../src-main/core/monitor/reconcile.ts';

describe('reconciliation', () => {
  it('searches for resources changed after the last look, oldest first', () => {
    expect(reconcileSearch('Observation?category=laboratory', '2026-11-22T10:00:00.000Z')).toBe(
      'Observation?category=laboratory&_lastUpdated=gt2026-11-22T10%3A00%3A00.000Z&_sort=_lastUpdated&_count=100',
    );
    expect(reconcileSearch('Observation', 'x')).toBe(
      'Observation?_lastUpdated=gtx&_sort=_lastUpdated&_count=100',
    );
  });

  it('takes each resource with an id and meta.lastUpdated and skips everything else', () => {
    const bundle = {
      resourceType: 'Bundle',
      entry: [
        { resource: { resourceType: 'Observation', id: 'a', meta: { lastUpdated: '2026-11-22T10:00:01Z' } } },
        { resource: { resourceType: 'Observation', id: 'b' } },
        { resource: { resourceType: 'Observation', meta: { lastUpdated: '2026-11-22T10:00:02Z' } } },
        { resource: { id: 'c', meta: { lastUpdated: '2026-11-22T10:00:03Z' } } },
        { resource: 'Observation/d' },
        { fullUrl: 'x' },
        null,
        { resource: { resourceType: 'Observation', id: 7, meta: { lastUpdated: 5 } } },
      ],
    };
    expect(changedResources(bundle)).toEqual([
      { focus: 'Observation/a', occurredAt: '2026-11-22T10:00:01Z' },
    ]);
    expect(changedResources({ entry: 'nonsense' })).toEqual([]);
    expect(changedResources(null)).toEqual([]);
  });
});
