import { useDeferredValue, useMemo } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { facetsOf, type FeedShow } from '../feed/feed-model.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';

/** Esc in the search box leaves it (for the feed), keeping what was typed as the filter. */
function leaveSearch(event: React.KeyboardEvent<HTMLInputElement>): void {
  if (event.key !== 'Escape') return;
  event.preventDefault();
  event.currentTarget.blur();
  const row = document.querySelector<HTMLElement>('.feed-row[tabindex="0"]');
  (row ?? document.querySelector<HTMLElement>('.feed-scroll'))?.focus();
}

export function FeedFilters({ list, sameNames }: { list: readonly AlertSummary[]; sameNames: Set<string> }) {
  const filters = useUiStore((s) => s.filters);
  const deferred = useDeferredValue(list);
  const f = useMemo(() => facetsOf(deferred), [deferred]);
  const active = [filters.location, filters.patient, filters.tier, filters.type].filter(
    (v) => v !== 'all',
  ).length;
  return (
    <div className="filters" role="group" aria-label="Filter the feed">
      <span className="filter-field">
        <label htmlFor="feed-show">Show</label>
        <select
          id="feed-show"
          value={filters.show}
          onChange={(e) => uiActions.setFilter('show', e.target.value as FeedShow)}
        >
          <option value="action">Action items</option>
          <option value="information">Information</option>
          <option value="all">Everything</option>
        </select>
      </span>
      <label>
        Search
        <input
          id="feed-search"
          type="search"
          value={filters.search}
          placeholder="test, patient, MRN, bed…"
          onChange={(e) => uiActions.setFilter('search', e.target.value)}
          onKeyDown={leaveSearch}
        />
      </label>
      <button type="button" onClick={uiActions.clearFilters}>
        Clear
      </button>
      <details className="more-filters" open={active > 0 || undefined}>
        <summary>Filters{active > 0 ? ` (${active} on)` : ''}</summary>
        <div className="more-filters-body">
          <label>
            Ward
            <select
              value={filters.location}
              onChange={(e) => uiActions.setFilter('location', e.target.value)}
            >
              <option value="all">All wards</option>
              {f.locations.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            Patient
            <select value={filters.patient} onChange={(e) => uiActions.setFilter('patient', e.target.value)}>
              <option value="all">All patients</option>
              {f.patients.map((p) => (
                <option key={p.reference} value={p.reference}>
                  {p.name}
                  {p.distinguisher ? ` — ${p.distinguisher}` : ''}
                  {sameNames.has(p.reference) ? ' ⚠ same name' : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tier
            <select
              value={filters.tier}
              onChange={(e) => uiActions.setFilter('tier', e.target.value as typeof filters.tier)}
            >
              <option value="all">All tiers</option>
              <option value="critical">Critical</option>
              <option value="high">High</option>
              <option value="info">Info</option>
              <option value="unclassified">Unclassified</option>
            </select>
          </label>
          <label>
            Type
            <select value={filters.type} onChange={(e) => uiActions.setFilter('type', e.target.value)}>
              <option value="all">All types</option>
              {f.types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        </div>
      </details>
    </div>
  );
}
