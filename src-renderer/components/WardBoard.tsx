import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { AlertClass, AlertSummary } from '../../src-main/shared/api.ts';
import { queries } from '../api/queries.ts';
import { isOpen } from '../feed/feed-model.ts';
import { buildBoard } from '../fhir/board.ts';
import { dateTimeText } from '../fhir/format.ts';
import { uiActions } from '../state/ui-store.ts';
import { ResourceState } from './resources/ResourceState.tsx';
import { TierBadge } from './TierBadge.tsx';

const RANK: Record<AlertClass, number> = { critical: 0, high: 1, info: 2, unclassified: 3 };

function badgesFor(
  alerts: readonly AlertSummary[],
): Map<string, { top: AlertClass; count: number; first: string }> {
  const out = new Map<string, { top: AlertClass; count: number; first: string }>();
  for (const a of alerts) {
    if (!a.patient || !isOpen(a) || a.tier === 'unclassified') continue;
    const cur = out.get(a.patient.reference);
    if (!cur) out.set(a.patient.reference, { top: a.tier, count: 1, first: a.id });
    else {
      cur.count += 1;
      if (RANK[a.tier] < RANK[cur.top]) {
        cur.top = a.tier;
        cur.first = a.id;
      }
    }
  }
  return out;
}

export function WardBoard() {
  const board = useQuery(queries.wardBoard());
  const alerts = useQuery(queries.alerts());
  const model = useMemo(
    () =>
      board.data?.status === 'ok' ? buildBoard(board.data, board.dataUpdatedAt) : { beds: [], movements: [] },
    [board.data, board.dataUpdatedAt],
  );
  const badges = useMemo(() => badgesFor(alerts.data ?? []), [alerts.data]);
  return (
    <section className="ward-board" aria-labelledby="board-title" tabIndex={0}>
      <h2 id="board-title">Ward board</h2>
      <ResourceState what="the ward board" pending={board.isPending} error={board.error} view={board.data} />
      <p className="board-summary">
        {model.beds.filter((b) => b.patient).length} of {model.beds.length} beds occupied
      </p>
      <ul className="beds">
        {model.beds.map((bed) => {
          const badge = bed.patient ? badges.get(bed.patient.reference) : undefined;
          return (
            <li
              key={bed.id}
              className={`bed${bed.patient ? ' occupied' : ' empty-bed'}${badge ? ` bed-${badge.top}` : ''}`}
            >
              <span className="bed-name">{bed.name.replace(/^Ward \w+ /, '')}</span>
              <span className="bed-patient">{bed.patient?.name ?? 'empty'}</span>
              {badge ? (
                <button
                  type="button"
                  className="bed-badge"
                  onClick={() => uiActions.openAlert(badge.first)}
                  aria-label={`${badge.count} open alert${badge.count === 1 ? '' : 's'} for ${bed.patient?.name ?? 'patient'}, highest ${badge.top}`}
                >
                  <TierBadge tier={badge.top} /> {badge.count}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      <h3>Admissions, transfers and discharges (24 h)</h3>
      {model.movements.length === 0 ? <p className="empty">None in the last 24 hours.</p> : null}
      <ul className="movements">
        {model.movements.slice(0, 50).map((m, i) => (
          <li key={i}>
            <span className={`move move-${m.kind.toLowerCase()}`}>{m.kind}</span> {m.patient} · {m.where} ·{' '}
            <time dateTime={m.at}>{dateTimeText(m.at)}</time>
          </li>
        ))}
      </ul>
    </section>
  );
}
