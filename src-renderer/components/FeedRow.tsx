import { memo } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { isUnread } from '../feed/feed-model.ts';
import { splitHeadline } from '../feed/headline.ts';
import { distinguisher } from '../feed/identity.ts';
import { timeText } from '../format/time.ts';
import { uiActions } from '../state/ui-store.ts';
import { SameNameWarning } from './PatientIdentity.tsx';
import { TierBadge } from './TierBadge.tsx';

const STATE_WORD: Record<AlertSummary['state'], string> = {
  new: 'Unread',
  seen: 'Seen',
  acknowledged: 'Acknowledged',
  escalated: 'Escalated',
  resolved: 'Resolved',
};

/** The row's state in words; "unread" only where the counts say so (isUnread: never information). */
function stateText(alert: AlertSummary): string {
  const level = alert.lifecycle?.escalationLevel ?? 0;
  if (alert.state === 'escalated') {
    const escalated = level > 0 ? `Escalated ${level}×` : STATE_WORD.escalated;
    return isUnread(alert) ? `${escalated}, unread` : escalated;
  }
  if (alert.state === 'new' && !isUnread(alert)) return 'New';
  return STATE_WORD[alert.state];
}

/** The test and its value; a result's value and unit are never the part cut off in a narrow row. */
function Headline({ alert }: { alert: AlertSummary }) {
  const text = readableUnits(alert.headline);
  const parts = alert.focus.startsWith('Observation/') ? splitHeadline(text) : null;
  if (!parts?.value) return <span className="feed-headline">{text || 'Loading…'}</span>;
  return (
    <span className="feed-headline split">
      <span className="feed-test">{parts.name}</span> <span className="feed-value">{parts.value}</span>
    </span>
  );
}

/**
 * One feed row: the tier with the time under it, the test and value; the patient with the MRN; a
 * same-name warning, the bed and the state.
 */
export const FeedRow = memo(function FeedRow({
  alert,
  selected,
  cursor,
  sameName,
}: {
  alert: AlertSummary;
  selected: boolean;
  cursor: boolean;
  sameName: boolean;
}) {
  const id = distinguisher(alert.patient);
  const warned = sameName && alert.patient !== null;
  return (
    <button
      type="button"
      data-alert-id={alert.id}
      className={`feed-row feed-${alert.tier}${selected ? ' selected' : ''}${cursor ? ' cursor' : ''}${isUnread(alert) ? ' unread' : ''}`}
      aria-current={selected ? 'true' : undefined}
      tabIndex={cursor ? 0 : -1}
      onClick={() => uiActions.openAlert(alert.id)}
    >
      <TierBadge tier={alert.tier} />
      <Headline alert={alert} />
      <time dateTime={alert.occurredAt}>{timeText(alert.occurredAt)}</time>
      <span className="feed-who">
        {alert.patient ? (
          <>
            <span className="feed-patient">{alert.patient.name ?? alert.patient.reference}</span>
            {/* The name gives way to the MRN, never the reverse ("MRN PT-0…" fits ten patients). */}
            {id ? <span className="feed-mrn"> · {id}</span> : null}
          </>
        ) : (
          <span className="feed-mrn">No patient</span>
        )}
      </span>
      <span className="feed-meta">
        {/* Under the name rather than after the MRN: at 1024 px the name line has no room left for it. */}
        {/* The state gives way first: a bed cut short ("Ward A bed 1…" for bed 14) names another bed. */}
        {warned ? <SameNameWarning /> : null}
        {alert.location ? (
          <span className="feed-location">
            {warned ? ' ' : ''}
            {alert.location}
          </span>
        ) : null}
        <span className="feed-state">
          {alert.location ? ' · ' : warned ? ' ' : ''}
          {stateText(alert)}
        </span>
      </span>
    </button>
  );
});
