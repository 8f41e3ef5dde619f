import { useQuery } from '@tanstack/react-query';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { useAcknowledge } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import { ackTimer } from '../feed/feed-model.ts';
import { referenceOf } from '../fhir/format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useUiStore } from '../state/ui-store.ts';
import { PatientBanner } from './resources/PatientBanner.tsx';
import { ResourceState } from './resources/ResourceState.tsx';
import { ResourceBody } from './resources/Views.tsx';
import { TierBadge } from './TierBadge.tsx';

function Acknowledge({ alert }: { alert: AlertSummary }) {
  const ack = useAcknowledge();
  const now = useNow(1000);
  if (alert.state === 'acknowledged' || alert.state === 'resolved')
    return (
      <p className="acknowledged" role="status">
        <span aria-hidden="true">✓</span> Acknowledged
      </p>
    );
  const timer = alert.tier === 'critical' ? ackTimer(alert.occurredAt, now) : null;
  return (
    <div className="ack-row">
      <button
        type="button"
        className="ack"
        onClick={() => ack.mutate({ alertId: alert.id })}
        disabled={ack.isPending}
        aria-keyshortcuts="a"
      >
        Acknowledge <kbd>a</kbd>
      </button>
      {timer ? (
        <span className={`ack-timer${timer.overdue ? ' overdue' : ''}`}>
          {timer.elapsed} since the result · {timer.left} of the 30 min target
        </span>
      ) : null}
      {ack.isError ? <span role="alert">Could not acknowledge: {ack.error.message}</span> : null}
    </div>
  );
}

export function AlertDetail() {
  const selectedId = useUiStore((s) => s.selectedAlertId);
  const alerts = useQuery(queries.alerts());
  const session = useQuery(queries.session());
  const alert = alerts.data?.find((a) => a.id === selectedId) ?? null;
  const focus = useQuery({
    ...queries.resource(alert?.focus ?? 'Observation/none'),
    enabled: alert !== null,
  });
  if (!alert) {
    return (
      <section className="detail" aria-label="Alert detail" tabIndex={0}>
        <p className="empty">Select an alert to see the result behind it.</p>
      </section>
    );
  }
  const resource = focus.data?.resource ?? null;
  const encounter = resource ? referenceOf(resource['encounter']) : null;
  const patientRef = alert.patient?.reference ?? (resource ? referenceOf(resource['subject']) : null);
  const showBanner = (session.data?.needPatientBanner ?? false) || patientRef !== null;
  return (
    <section className={`detail detail-${alert.tier}`} aria-labelledby="detail-title" tabIndex={0}>
      <h2 id="detail-title">
        <TierBadge tier={alert.tier} /> {alert.headline || alert.focus}
      </h2>
      <p className="reason">{alert.reason}</p>
      {showBanner && patientRef?.startsWith('Patient/') ? (
        <PatientBanner reference={patientRef} encounter={encounter} />
      ) : null}
      <Acknowledge alert={alert} />
      <ResourceState what="the record" pending={focus.isPending} error={focus.error} view={focus.data} />
      {resource ? <ResourceBody resource={resource} reference={alert.focus} /> : null}
      <p className="provenance">
        Event {alert.eventNumber} · {alert.topic.split('/').pop()} · received{' '}
        {new Date(alert.receivedAt).toLocaleTimeString()}
      </p>
    </section>
  );
}
