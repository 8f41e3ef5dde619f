import { useQuery } from '@tanstack/react-query';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { queries } from '../api/queries.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { TierBadge } from './TierBadge.tsx';

function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function FeedRow({ alert, selected }: { alert: AlertSummary; selected: boolean }) {
  return (
    <li>
      <button
        type="button"
        className={`feed-row feed-${alert.tier}${selected ? ' selected' : ''}`}
        aria-current={selected ? 'true' : undefined}
        onClick={() => uiActions.selectAlert(alert.id)}
      >
        <TierBadge tier={alert.tier} />
        <span className="feed-headline">{alert.headline || 'Loading…'}</span>
        <span className="feed-patient">{alert.patient?.name ?? ''}</span>
        <span className="feed-state">{alert.state}</span>
        <time dateTime={alert.occurredAt}>{timeOf(alert.occurredAt)}</time>
      </button>
    </li>
  );
}

export function Feed() {
  const alerts = useQuery(queries.alerts());
  const selected = useUiStore((s) => s.selectedAlertId);
  const list = alerts.data ?? [];
  return (
    <section className="feed" aria-labelledby="feed-title">
      <h2 id="feed-title">Live feed</h2>
      {alerts.isError ? <p role="alert">Could not load alerts: {alerts.error.message}</p> : null}
      {list.length === 0 && alerts.isSuccess ? <p className="empty">No alerts yet.</p> : null}
      <ul className="feed-list" aria-label="Alerts, newest first">
        {list.map((alert) => (
          <FeedRow key={alert.id} alert={alert} selected={alert.id === selected} />
        ))}
      </ul>
    </section>
  );
}
