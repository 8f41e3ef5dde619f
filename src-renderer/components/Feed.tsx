import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useDeferredValue, useEffect, useMemo, useRef } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { useAcknowledge, useMarkSeen } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import {
  ackTimer,
  facets,
  filterAlerts,
  mayHaveOlder,
  pinnedCriticals,
  unreadCounts,
} from '../feed/feed-model.ts';
import { useNow } from '../hooks/useNow.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { TierBadge } from './TierBadge.tsx';

const ROW_HEIGHT = 58;
const PINNED_SHOWN = 5;

function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

const STATE_WORD: Record<AlertSummary['state'], string> = {
  new: 'Unread',
  seen: 'Seen',
  acknowledged: 'Acknowledged',
  escalated: 'Escalated',
  resolved: 'Resolved',
};

const FeedRow = memo(function FeedRow({
  alert,
  selected,
  cursor,
}: {
  alert: AlertSummary;
  selected: boolean;
  cursor: boolean;
}) {
  return (
    <button
      type="button"
      data-alert-id={alert.id}
      className={`feed-row feed-${alert.tier}${selected ? ' selected' : ''}${cursor ? ' cursor' : ''}${alert.state === 'new' ? ' unread' : ''}`}
      aria-current={selected ? 'true' : undefined}
      tabIndex={cursor ? 0 : -1}
      onClick={() => uiActions.openAlert(alert.id)}
    >
      <TierBadge tier={alert.tier} />
      <span className="feed-headline">{alert.headline || 'Loading…'}</span>
      <span className="feed-patient">{alert.patient?.name ?? ''}</span>
      <span className="feed-meta">
        <span className="feed-state">{STATE_WORD[alert.state]}</span>
        {alert.location ? <span className="feed-location"> · {alert.location}</span> : null}
      </span>
      <time dateTime={alert.occurredAt}>{timeOf(alert.occurredAt)}</time>
    </button>
  );
});

function PinnedCriticals({ pinned }: { pinned: AlertSummary[] }) {
  const now = useNow(1000);
  const ack = useAcknowledge();
  if (pinned.length === 0) return null;
  return (
    <section className="pinned" aria-labelledby="pinned-title">
      <h3 id="pinned-title">
        <span aria-hidden="true">▲</span> Unacknowledged critical results ({pinned.length})
      </h3>
      <ul>
        {pinned.slice(0, PINNED_SHOWN).map((alert) => {
          const timer = ackTimer(alert.occurredAt, now);
          return (
            <li key={alert.id} className="pinned-item">
              <button type="button" className="pinned-open" onClick={() => uiActions.openAlert(alert.id)}>
                <strong>{alert.headline || 'Loading…'}</strong>
                <span>{alert.patient?.name ?? 'Unknown patient'}</span>
                {alert.location ? <span>{alert.location}</span> : null}
              </button>
              <span className={`ack-timer${timer.overdue ? ' overdue' : ''}`}>
                <span className="visually-hidden">Time since result </span>
                {timer.elapsed} <span className="ack-target">({timer.left} of the 30 min target)</span>
              </span>
              <button
                type="button"
                className="ack"
                disabled={ack.isPending}
                onClick={() => ack.mutate({ alertId: alert.id })}
                aria-label={`Acknowledge ${alert.headline}${alert.patient?.name ? ` for ${alert.patient.name}` : ''}`}
              >
                Acknowledge
              </button>
            </li>
          );
        })}
      </ul>
      {pinned.length > PINNED_SHOWN ? (
        <button type="button" className="link" onClick={() => uiActions.setFilter('tier', 'critical')}>
          and {pinned.length - PINNED_SHOWN} more — show critical only
        </button>
      ) : null}
    </section>
  );
}

function FeedFilters({ list }: { list: readonly AlertSummary[] }) {
  const filters = useUiStore((s) => s.filters);
  const deferred = useDeferredValue(list);
  const f = useMemo(() => facets(deferred), [deferred]);
  return (
    <div className="filters" role="group" aria-label="Filter the feed">
      <label>
        Search
        <input
          id="feed-search"
          type="search"
          value={filters.search}
          placeholder="test, patient, ward…"
          onChange={(e) => uiActions.setFilter('search', e.target.value)}
        />
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
      <label>
        Ward
        <select value={filters.location} onChange={(e) => uiActions.setFilter('location', e.target.value)}>
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
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={uiActions.clearFilters}>
        Clear filters
      </button>
    </div>
  );
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return (
    !!el &&
    (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable)
  );
}

export function Feed({ compact = false }: { compact?: boolean }) {
  const client = useQueryClient();
  const alerts = useQuery(queries.alerts());
  const alertPages = useUiStore((s) => s.alertPages);
  const selected = useUiStore((s) => s.selectedAlertId);
  const cursorId = useUiStore((s) => s.cursorId);
  const filters = useUiStore((s) => s.filters);
  const list = useMemo(() => alerts.data ?? [], [alerts.data]);
  const visible = useMemo(() => filterAlerts(list, filters), [list, filters]);
  const pinned = useMemo(() => pinnedCriticals(list), [list]);
  const unread = useMemo(() => unreadCounts(list), [list]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const ack = useAcknowledge();
  const markSeen = useMarkSeen();

  // eslint-disable-next-line react-hooks/incompatible-library -- rows re-render from `visible`, not memoized getters
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (index) => visible[index]?.id ?? index,
  });

  // Opening an alert marks it seen (unread counts fall).
  useEffect(() => {
    if (!selected) return;
    const alert = list.find((a) => a.id === selected);
    if (alert?.state === 'new' && !markSeen.isPending) markSeen.mutate(alert.id);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the selection changes
  }, [selected]);

  useEffect(() => {
    document.title = unread.total > 0 ? `(${unread.total}) Alert Monitor` : 'Alert Monitor';
  }, [unread.total]);

  // Keyboard: j/k or arrows move, Enter opens, a acknowledges, / searches, ? shows the shortcuts.
  const latest = useRef({ visible, cursorId, selected });
  latest.current = { visible, cursorId, selected };
  useEffect(() => {
    const move = (delta: number) => {
      const { visible: rows, cursorId: cur, selected: sel } = latest.current;
      if (rows.length === 0) return;
      const from = rows.findIndex((a) => a.id === (cur ?? sel));
      const index = from < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, from + delta));
      const target = rows[index];
      if (!target) return;
      uiActions.moveCursor(target.id);
      virtualizer.scrollToIndex(index, { align: 'auto' });
      requestAnimationFrame(() =>
        scrollRef.current
          ?.querySelector<HTMLButtonElement>(`[data-alert-id="${CSS.escape(target.id)}"]`)
          ?.focus(),
      );
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const inFeed = !!scrollRef.current?.contains(event.target as Node);
      switch (event.key) {
        case 'j':
          move(1);
          break;
        case 'k':
          move(-1);
          break;
        case 'ArrowDown':
          if (!inFeed) return;
          move(1);
          break;
        case 'ArrowUp':
          if (!inFeed) return;
          move(-1);
          break;
        case 'Enter': {
          const cur = latest.current.cursorId;
          if (!cur || (!inFeed && event.target !== document.body)) return;
          uiActions.openAlert(cur);
          break;
        }
        case 'a': {
          const id = latest.current.cursorId ?? latest.current.selected;
          const alert = latest.current.visible.find((x) => x.id === id);
          if (!alert || alert.state === 'acknowledged') return;
          ack.mutate({ alertId: alert.id });
          break;
        }
        case '/':
          document.getElementById('feed-search')?.focus();
          break;
        case '?':
          uiActions.toggleShortcuts();
          break;
        default:
          return;
      }
      event.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [virtualizer, ack]);

  const items = virtualizer.getVirtualItems();
  const cursorVisible =
    cursorId && visible.some((a) => a.id === cursorId) ? cursorId : (visible[0]?.id ?? null);
  return (
    <section className={`feed${compact ? ' compact' : ''}`} aria-labelledby="feed-title">
      <div className="feed-head">
        <h2 id="feed-title">Live feed</h2>
        <p className="unread" aria-live="polite">
          {unread.total} unread
          {unread.critical > 0 ? (
            <span className="unread-critical"> · {unread.critical} critical</span>
          ) : null}
          {unread.high > 0 ? <span> · {unread.high} high</span> : null}
          <span> · {list.length.toLocaleString()} total</span>
        </p>
      </div>
      <PinnedCriticals pinned={pinned} />
      {compact ? null : <FeedFilters list={list} />}
      {alerts.isError ? <p role="alert">Could not load alerts: {alerts.error.message}</p> : null}
      {list.length === 0 && alerts.isSuccess ? <p className="empty">No alerts yet.</p> : null}
      {list.length > 0 && visible.length === 0 ? <p className="empty">No alerts match the filters.</p> : null}
      <p className="visually-hidden" id="feed-help">
        Use j and k or the arrow keys to move, Enter to open, a to acknowledge.
      </p>
      <div className="feed-scroll" ref={scrollRef}>
        <ul
          className="feed-list"
          aria-label={`Alerts, newest first (${visible.length} shown)`}
          aria-describedby="feed-help"
          style={{ height: virtualizer.getTotalSize() }}
        >
          {items.map((item) => {
            const alert = visible[item.index];
            if (!alert) return null;
            return (
              <li
                key={item.key}
                className="feed-item"
                aria-setsize={visible.length}
                aria-posinset={item.index + 1}
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <FeedRow alert={alert} selected={alert.id === selected} cursor={alert.id === cursorVisible} />
              </li>
            );
          })}
        </ul>
      </div>
      {mayHaveOlder(list.length, alertPages) ? (
        <button
          type="button"
          className="load-older"
          onClick={() => {
            uiActions.showMoreAlertPages();
            void client.invalidateQueries({ queryKey: queries.alerts().queryKey });
          }}
          disabled={alerts.isFetching}
        >
          Load older alerts
        </button>
      ) : null}
      <p className="shortcut-hint">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↑</kbd>/<kbd>↓</kbd> move · <kbd>Enter</kbd> open ·{' '}
        <kbd>a</kbd> acknowledge · <kbd>/</kbd> search · <kbd>?</kbd> all shortcuts
      </p>
    </section>
  );
}
