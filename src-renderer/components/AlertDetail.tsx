import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { referenceOf } from '../../src-main/shared/fhir-json.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { useMarkSeen, useResolve, useRetryWriteback } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import { openedBy } from '../feed/ack-gate.ts';
import { findAlert, ackTimer, isOpen } from '../feed/feed-model.ts';
import { timeText } from '../format/time.ts';
import { useLiveNow } from '../hooks/useNow.ts';
import { useSameNames } from '../hooks/useSameNames.ts';
import { useMe } from '../hooks/useSession.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { AckPanel, AckShortcut } from './AckPanel.tsx';
import { EscalationChain } from './EscalationChain.tsx';
import { LaterNormalBanner } from './LaterResult.tsx';
import { PatientIdentity } from './PatientIdentity.tsx';
import { PersonName } from './PersonName.tsx';
import { PatientBanner } from './resources/PatientBanner.tsx';
import { ResourceState } from './resources/ResourceState.tsx';
import { ResourceBody } from './resources/Views.tsx';
import { TierBadge } from './TierBadge.tsx';
import { OrderDecisionText } from './OrderDecisionText.tsx';

/**
 * Opening an alert is recorded by the host (unread counts fall, and a critical may then be
 * acknowledged): once per alert, and again after the host link reopens (a restarted host knows
 * nothing of what this page opened before).
 */
function useRecordOpened(alert: AlertSummary | null): void {
  const markSeen = useMarkSeen();
  const { me } = useMe();
  const linkEpoch = useUiStore((s) => s.linkEpoch);
  const live = useUiStore((s) => s.hostLink === 'open');
  const openedHere = useUiStore((s) => (alert ? s.opened[alert.id] === true : false));
  const id = alert?.id ?? null;
  const needed = alert !== null && isOpen(alert) && !openedBy(alert, me, openedHere);
  useEffect(() => {
    if (!id || !live) return;
    uiActions.dismissNotificationsFor(id);
    if (needed) markSeen.mutate(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per alert opened and per link epoch
  }, [id, linkEpoch, live]);
}

/**
 * Who acknowledged and when (by name), who resolved it, or, for an open alert, the acknowledge panel and
 * its timers. An alert resolved without an acknowledgment (a decided order's, a non-critical one) never
 * says it was acknowledged.
 */
function Lifecycle({ alert }: { alert: AlertSummary }) {
  const resolve = useResolve();
  const { now } = useLiveNow(1000);
  const lifecycle = alert.lifecycle;
  const acknowledged = alert.state === 'acknowledged' || !lifecycle || lifecycle.acknowledgedAt !== null;
  if (alert.state === 'acknowledged' || alert.state === 'resolved') {
    return (
      <div className="ack-row">
        {acknowledged ? (
          <p className="acknowledged" role="status">
            <span aria-hidden="true">✓</span> Acknowledged
            {lifecycle?.acknowledgedBy ? (
              <>
                {' by '}
                <PersonName reference={lifecycle.acknowledgedBy} />
              </>
            ) : null}
            {lifecycle?.acknowledgedAt ? ` at ${timeText(lifecycle.acknowledgedAt, now)}` : ''}
            {lifecycle?.acknowledgedElsewhere ? ' on another workstation' : ''}
            {lifecycle?.ackNote ? ` — read-back: “${lifecycle.ackNote}”` : ''}
          </p>
        ) : null}
        {alert.state === 'resolved' ? (
          <p className="resolved" role="status">
            Resolved
            {lifecycle?.resolvedBy ? (
              <>
                {' by '}
                <PersonName reference={lifecycle.resolvedBy} />
              </>
            ) : null}
            {lifecycle?.resolvedAt ? ` at ${timeText(lifecycle.resolvedAt, now)}` : ''}
            {lifecycle?.resolvedElsewhere ? ' on another workstation' : ''}
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
    <>
      <p className="ack-timers">
        {timer ? (
          <span className={`ack-timer${timer.overdue ? ' overdue' : ''}`}>
            {timer.elapsed} since the result · {timer.left} of the 30 min target
          </span>
        ) : null}
        {lifecycle && lifecycle.escalationLevel > 0 ? (
          <span className="escalated" role="status">
            <span aria-hidden="true">▲</span> Escalated {lifecycle.escalationLevel}× — not acknowledged in
            time
          </span>
        ) : null}
      </p>
      <AckPanel alert={alert} />
    </>
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

/**
 * A pharmacist's stat order is decided in her worklist's review, not by acknowledging the alert: the
 * alert (where a click on its OS notification lands) opens the review of that same order.
 */
function ReviewOrder({ alert, role }: { alert: AlertSummary; role: string | null }) {
  const isOrder = role === 'pharmacist' && alert.focus.startsWith('MedicationRequest/');
  // The same query as the review itself: re-read on every worklist push, so a decision made here or
  // on another workstation shows on the alert too.
  const review = useQuery({ ...queries.review(alert.focus), enabled: isOrder });
  if (!isOrder) return null;
  const decision = review.data?.decision ?? null;
  return (
    <div className="review-order">
      {decision ? (
        <p className={`decision decision-${decision.state}`} role="status">
          <OrderDecisionText decision={decision} />
        </p>
      ) : null}
      <button
        type="button"
        className={decision ? undefined : 'primary'}
        onClick={() => uiActions.reviewOrder(alert.focus)}
      >
        {decision ? 'Open the order’s review' : 'Review and verify this order'}
      </button>
    </div>
  );
}

export function AlertDetail() {
  const selectedId = useUiStore((s) => s.selectedAlertId);
  const alerts = useQuery(queries.alerts());
  const session = useQuery(queries.session());
  const sameNames = useSameNames();
  const alert = findAlert(alerts.data, selectedId);
  useRecordOpened(alert);
  const focus = useQuery({
    ...queries.resource(alert?.focus ?? 'Observation/none'),
    enabled: alert !== null,
  });
  if (!alert) {
    return (
      <section className="detail" aria-label="Alert detail" tabIndex={0}>
        <p className="empty">
          Select an alert to see the result behind it. Acknowledge acts only on the alert open here.
        </p>
      </section>
    );
  }
  const resource = focus.data?.resource ?? null;
  const encounter = resource ? referenceOf(resource['encounter']) : null;
  const patientRef = alert.patient?.reference ?? (resource ? referenceOf(resource['subject']) : null);
  const showBanner = (session.data?.needPatientBanner ?? false) || patientRef !== null;
  const sameName = alert.patient ? sameNames.has(alert.patient.reference) : false;
  return (
    <section className={`detail detail-${alert.tier}`} aria-labelledby="detail-title" tabIndex={0}>
      <AckShortcut alert={alert} />
      <h2 id="detail-title">
        <TierBadge tier={alert.tier} /> {readableUnits(alert.headline) || alert.focus}
      </h2>
      <p className="detail-who">
        <PatientIdentity patient={alert.patient} sameName={sameName} />
        {alert.location ? <span> · {alert.location}</span> : null}
      </p>
      <p className="reason">{readableUnits(alert.reason)}</p>
      <LaterNormalBanner alert={alert} />
      {showBanner && patientRef?.startsWith('Patient/') ? (
        <PatientBanner
          reference={patientRef}
          encounter={encounter}
          sameName={sameName}
          expected={{ patient: alert.patient ?? null, bed: alert.location ?? null }}
        />
      ) : null}
      <ReviewOrder alert={alert} role={session.data?.role ?? null} />
      <Lifecycle alert={alert} />
      <EscalationChain alert={alert} />
      <Writeback alert={alert} />
      <ResourceState what="the record" pending={focus.isPending} error={focus.error} view={focus.data} />
      {resource ? <ResourceBody resource={resource} reference={alert.focus} /> : null}
      <p className="provenance">
        Event {alert.eventNumber} · {alert.topic.split('/').pop()} · result {timeText(alert.occurredAt)} ·
        received {timeText(alert.receivedAt)}
      </p>
    </section>
  );
}
