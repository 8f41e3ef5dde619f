import { useQuery } from '@tanstack/react-query';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { useState } from 'react';
import { useAcknowledge, useResolve, useRetryWriteback } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import { ackTimer } from '../feed/feed-model.ts';
import { referenceOf } from '../../src-main/shared/fhir-json.ts';
import { useNow } from '../hooks/useNow.ts';
import { useUiStore } from '../state/ui-store.ts';
import { PatientBanner } from './resources/PatientBanner.tsx';
import { ResourceState } from './resources/ResourceState.tsx';
import { ResourceBody } from './resources/Views.tsx';
import { TierBadge } from './TierBadge.tsx';

function whenText(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' }) : '';
}

/** Acknowledge (with an optional read-back note), or, once acknowledged, who did it and Resolve. */
function Acknowledge({ alert }: { alert: AlertSummary }) {
  const ack = useAcknowledge();
  const resolve = useResolve();
  const now = useNow(1000);
  const [note, setNote] = useState('');
  const lifecycle = alert.lifecycle;
  if (alert.state === 'acknowledged' || alert.state === 'resolved') {
    return (
      <div className="ack-row">
        <p className="acknowledged" role="status">
          <span aria-hidden="true">✓</span> Acknowledged
          {lifecycle?.acknowledgedBy ? ` by ${lifecycle.acknowledgedBy}` : ''}
          {lifecycle?.acknowledgedAt ? ` at ${whenText(lifecycle.acknowledgedAt)}` : ''}
          {lifecycle?.ackNote ? ` — read-back: “${lifecycle.ackNote}”` : ''}
        </p>
        {alert.state === 'resolved' ? (
          <p className="resolved" role="status">
            Resolved{lifecycle?.resolvedBy ? ` by ${lifecycle.resolvedBy}` : ''}
            {lifecycle?.resolvedAt ? ` at ${whenText(lifecycle.resolvedAt)}` : ''}
          </p>
        ) : (
          <button
            type="button"
            onClick={() => resolve.mutate({ alertId: alert.id })}
            disabled={resolve.isPending}
          >
            Resolve
          </button>
        )}
        {resolve.isError ? <span role="alert">Could not resolve: {resolve.error.message}</span> : null}
      </div>
    );
  }
  const timer = alert.tier === 'critical' ? ackTimer(alert.occurredAt, now) : null;
  return (
    <div className="ack-row">
      <label className="ack-note">
        Read-back note (optional)
        <input type="text" value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button
        type="button"
        className="ack"
        onClick={() => ack.mutate({ alertId: alert.id, ...(note.trim() ? { note: note.trim() } : {}) })}
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
      {lifecycle && lifecycle.escalationLevel > 0 ? (
        <span className="escalated" role="status">
          Escalated {lifecycle.escalationLevel}× — not acknowledged in time
        </span>
      ) : null}
      {ack.isError ? <span role="alert">Could not acknowledge: {ack.error.message}</span> : null}
    </div>
  );
}

/** Whether the acknowledgment is recorded on the FHIR server too; a failure is shown, never hidden. */
function Writeback({ alert }: { alert: AlertSummary }) {
  const retry = useRetryWriteback();
  const writeback = alert.lifecycle?.writeback;
  if (!writeback || writeback.state === 'none') return null;
  const text: Record<string, string> = {
    pending: 'Recording the acknowledgment on the server…',
    done: `Acknowledgment recorded on the server${writeback.reference ? ` (${writeback.reference})` : ''}.`,
    failed: `Not yet recorded on the server: ${writeback.error ?? 'unknown error'} — retrying.`,
    unsupported: 'This server does not accept acknowledgments; it is recorded on this workstation only.',
  };
  return (
    <p className={`writeback writeback-${writeback.state}`} role="status">
      {text[writeback.state] ?? writeback.state}
      {writeback.state === 'failed' ? (
        <button type="button" onClick={() => retry.mutate(alert.id)} disabled={retry.isPending}>
          Retry now
        </button>
      ) : null}
    </p>
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
      <Writeback alert={alert} />
      <ResourceState what="the record" pending={focus.isPending} error={focus.error} view={focus.data} />
      {resource ? <ResourceBody resource={resource} reference={alert.focus} /> : null}
      <p className="provenance">
        Event {alert.eventNumber} · {alert.topic.split('/').pop()} · received{' '}
        {new Date(alert.receivedAt).toLocaleTimeString()}
      </p>
    </section>
  );
}
