import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { queries } from '../api/queries.ts';
import { badgesFor, buildBoard } from '../fhir/board.ts';
import { dateTimeText } from '../fhir/format.ts';
import { useSameNames } from '../hooks/useSameNames.ts';
import { uiActions } from '../state/ui-store.ts';
import { PatientIdentity } from './PatientIdentity.tsx';
import { ResourceState } from './resources/ResourceState.tsx';
import { TierBadge } from './TierBadge.tsx';

export function WardBoard() {
  const board = useQuery(queries.wardBoard());
  const alerts = useQuery(queries.alerts());
  const sameNames = useSameNames();
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
          const sameName = bed.patient ? sameNames.has(bed.patient.reference) : false;
          return (
            <li
              key={bed.id}
              className={`bed${bed.patient ? ' occupied' : ' empty-bed'}${badge ? ` bed-${badge.top}` : ''}`}
              data-patient={bed.patient?.reference}
            >
              <span className="bed-name">{bed.name.replace(/^Ward \w+ /, '')}</span>
              {bed.patient ? (
                <PatientIdentity patient={bed.patient} sameName={sameName} className="bed-patient" />
              ) : (
                <span className="bed-patient">empty</span>
              )}
              {badge ? (
                <button
                  type="button"
                  className="bed-badge"
                  onClick={() => uiActions.openAlert(badge.first)}
                  aria-label={`${badge.count} open ${badge.top} alert${badge.count === 1 ? '' : 's'}${badge.alsoHigh ? ` and ${badge.alsoHigh} high` : ''} for ${bed.patient?.name ?? 'patient'}: open the oldest`}
                >
                  <TierBadge tier={badge.top} /> {badge.count}
                  {badge.alsoHigh > 0 ? <span className="muted"> +{badge.alsoHigh} high</span> : null}
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
