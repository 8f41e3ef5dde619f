// The alerts column: the counts, the critical list (bounded, scrolling), the filters and the live feed
// (windowed: feed/use-fixed-rows.ts). The feed always keeps room for rows, at 1400×900 as at 1024×700.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef } from 'react';
import { queries } from '../api/queries.ts';
import { derive } from '../feed/derived.ts';
import { filterAlerts, findAlert, mayHaveOlder } from '../feed/feed-model.ts';
import { useFixedRows } from '../feed/use-fixed-rows.ts';
import { useFeedKeys } from '../hooks/useFeedKeys.ts';
import { useSameNames } from '../hooks/useSameNames.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { CriticalList } from './CriticalList.tsx';
import { FeedFilters } from './FeedFilters.tsx';
import { FeedRow } from './FeedRow.tsx';
import { KeyMessage } from './KeyMessage.tsx';
import { WatchingSince } from './WatchingSince.tsx';

/** Row heights (px) of the windowed list, per type size; the CSS gives rows the same heights. */
const ROW_HEIGHT = { normal: 80, large: 116 } as const;

export function Feed({ compact = false }: { compact?: boolean }) {
  const client = useQueryClient();
  const alerts = useQuery(queries.alerts());
  const alertPages = useUiStore((s) => s.alertPages);
  const selected = useUiStore((s) => s.selectedAlertId);
  const cursorId = useUiStore((s) => s.cursorId);
  const filters = useUiStore((s) => s.filters);
  const largeType = useUiStore((s) => s.largeType);
  const list = useMemo(() => alerts.data ?? [], [alerts.data]);
  const visible = useMemo(() => filterAlerts(list, filters), [list, filters]);
  const { counts } = derive(alerts.data);
  const sameNames = useSameNames();
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowHeight = largeType ? ROW_HEIGHT.large : ROW_HEIGHT.normal;

  const rows = useFixedRows({
    count: visible.length,
    rowHeight,
    overscan: 8,
    scrollRef,
    keyOf: (index) => visible[index]?.id ?? index,
  });
  useFeedKeys(visible, scrollRef, rows.scroller);

  const items = rows.items;
  // The whole list is indexed by id (a push keeps the index); a filtered view is scanned.
  const cursorShown =
    cursorId !== null &&
    (visible === list ? findAlert(list, cursorId) !== null : visible.some((a) => a.id === cursorId));
  const cursorVisible = cursorShown ? cursorId : (visible[0]?.id ?? null);
  // Only the cursor's row is in the tab order (FeedRow.tsx). When the window has scrolled it out of the
  // rendered rows, the scrolling box itself takes focus, so the keyboard still reaches the feed.
  const cursorRendered = items.some((item) => visible[item.index]?.id === cursorVisible);
  return (
    <section className={`feed${compact ? ' compact' : ''}`} aria-labelledby="feed-title">
      <div className="feed-head">
        <h2 id="feed-title">Live feed</h2>
        <p className="unread" aria-live="polite">
          <span className={counts.openCritical > 0 ? 'unread-critical' : undefined}>
            <span aria-hidden="true">▲</span> {counts.openCritical} critical unacknowledged
          </span>
          {counts.escalated > 0 ? (
            <span className="unread-critical"> · {counts.escalated} escalated</span>
          ) : null}
          <span> · {counts.unread} unread action items</span>
          <span className="muted"> · {counts.information.toLocaleString()} information</span>
        </p>
      </div>
      <WatchingSince compact={compact || largeType} />
      <CriticalList list={list} sameNames={sameNames} />
      {compact ? null : <FeedFilters list={list} sameNames={sameNames} />}
      {alerts.isError ? <p role="alert">Could not load alerts: {alerts.error.message}</p> : null}
      {list.length === 0 && alerts.isSuccess ? <p className="empty">No alerts yet.</p> : null}
      {list.length > 0 && visible.length === 0 ? <p className="empty">No alerts match the filters.</p> : null}
      <p className="visually-hidden" id="feed-help">
        Use j and k or the arrow keys to move, Enter to open. The a key acknowledges the alert open in the
        detail.
      </p>
      <div className="feed-scroll" ref={scrollRef} tabIndex={cursorRendered ? undefined : 0}>
        <ul
          className="feed-list"
          aria-label={`Alerts, newest first (${visible.length} shown)`}
          aria-describedby="feed-help"
          style={{ height: rows.totalSize }}
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
                <FeedRow
                  alert={alert}
                  selected={alert.id === selected}
                  cursor={alert.id === cursorVisible}
                  sameName={alert.patient ? sameNames.has(alert.patient.reference) : false}
                />
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
      <KeyMessage />
      <p className="shortcut-hint">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>a</kbd> acknowledge the open alert
        · <kbd>/</kbd> search · <kbd>?</kbd> all
      </p>
    </section>
  );
}
