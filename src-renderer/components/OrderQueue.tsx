import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { useAcknowledge } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import { dateTimeText, dosageOf, medicationText } from '../fhir/format.ts';
import { identityText } from '../feed/identity.ts';
import { sortQueue, type QueuedOrder } from '../fhir/queue.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { ResourceState } from './resources/ResourceState.tsx';
import { AllergyList } from './resources/Views.tsx';

/** The order's state in the queue row; acting on it happens in the detail, on the order open there. */
function VerifyState({ alert }: { alert: AlertSummary | undefined }) {
  if (!alert) return <span className="muted">No alert received for this order</span>;
  if (alert.state === 'acknowledged' || alert.state === 'resolved')
    return (
      <span className="verified">
        <span aria-hidden="true">✓</span> Verified
      </span>
    );
  return <span className="muted">Awaiting verification</span>;
}

/**
 * Acknowledge / verify the order open in the detail — only that one — naming the medication, the
 * patient and the MRN; a failure or refusal is shown.
 */
function Verify({ order, alert }: { order: QueuedOrder; alert: AlertSummary | undefined }) {
  const { acknowledge, busy } = useAcknowledge();
  const outcome = useUiStore((s) => (alert ? s.ackOutcomes[alert.id] : undefined));
  if (!alert || alert.state === 'acknowledged' || alert.state === 'resolved')
    return <VerifyState alert={alert} />;
  const who = order.patient ? identityText(order.patient) : 'the patient';
  return (
    <>
      <button
        type="button"
        className="ack"
        disabled={busy}
        onClick={() => acknowledge(alert, 'verified by pharmacist')}
      >
        Acknowledge / verify {medicationText(order.order)} for {who}
      </button>
      {outcome ? (
        <p className={`ack-outcome ack-${outcome.kind}`} role="alert">
          {outcome.text}
        </p>
      ) : null}
    </>
  );
}

export function OrderQueue() {
  const orders = useQuery(queries.orders());
  const alerts = useQuery(queries.alerts());
  const selected = useUiStore((s) => s.selectedOrder);
  const queue = useMemo(() => (orders.data?.status === 'ok' ? sortQueue(orders.data) : []), [orders.data]);
  const alertByFocus = useMemo(() => {
    const map = new Map<string, AlertSummary>();
    for (const a of alerts.data ?? []) if (!map.has(a.focus)) map.set(a.focus, a);
    return map;
  }, [alerts.data]);
  const allergyNote =
    orders.data && orders.data.allergies.status !== 'ok'
      ? (orders.data.allergies.message ?? 'Allergies unavailable')
      : null;
  const open = queue.find((q) => q.reference === selected) ?? null;
  return (
    <div className="order-layout">
      <section className="order-queue" aria-labelledby="queue-title">
        <h2 id="queue-title">New-order queue</h2>
        <p className="muted">Sorted stat → urgent → routine, longest waiting first.</p>
        <ResourceState what="orders" pending={orders.isPending} error={orders.error} view={orders.data} />
        {allergyNote ? <p className="state state-forbidden">Allergies: {allergyNote}</p> : null}
        {orders.data?.status === 'ok' && queue.length === 0 ? (
          <p className="empty">No active orders.</p>
        ) : null}
        <ol className="queue" aria-label="Orders">
          {queue.map((q) => {
            const dosage = dosageOf(q.order);
            return (
              <li
                key={q.reference}
                className={`queue-item priority-row-${q.priority}${q.reference === selected ? ' selected' : ''}`}
              >
                <button
                  type="button"
                  className="queue-open"
                  onClick={() => uiActions.selectOrder(q.reference)}
                  aria-current={q.reference === selected ? 'true' : undefined}
                >
                  <span className={`priority priority-${q.priority}`}>{q.priority.toUpperCase()}</span>
                  <strong className="queue-med">{medicationText(q.order)}</strong>
                  <span>{q.patient ? identityText(q.patient) : 'Unknown patient'}</span>
                  <span className="muted">
                    {[dosage.dose, dosage.route, dosage.frequency].filter(Boolean).join(' · ') ||
                      'no dosage given'}
                  </span>
                  <span className="muted">
                    by {q.prescriber ?? 'unknown'} · {dateTimeText(q.order['authoredOn'])}
                  </span>
                  <span className={q.allergies.length > 0 ? 'allergy-flag' : 'muted'}>
                    {q.allergies.length > 0
                      ? `⚠ ${q.allergies.length} allergy record${q.allergies.length === 1 ? '' : 's'}`
                      : allergyNote
                        ? 'allergies unknown'
                        : 'no allergies recorded'}
                  </span>
                </button>
                <VerifyState alert={alertByFocus.get(q.reference)} />
              </li>
            );
          })}
        </ol>
      </section>
      <section className="detail" aria-label="Order detail" tabIndex={0}>
        {open ? (
          <>
            <h2>{medicationText(open.order)}</h2>
            <Verify order={open} alert={alertByFocus.get(open.reference)} />
            <OrderDetail order={open} />
          </>
        ) : (
          <p className="empty">Select an order to see it with the patient's allergies.</p>
        )}
      </section>
    </div>
  );
}

function OrderDetail({ order }: { order: QueuedOrder }) {
  const dosage = dosageOf(order.order);
  return (
    <>
      <dl className="resource">
        <dt>Patient</dt>
        <dd>{order.patient ? identityText(order.patient) : 'unknown'}</dd>
        <dt>Priority</dt>
        <dd>
          <span className={`priority priority-${order.priority}`}>{order.priority.toUpperCase()}</span>
        </dd>
        <dt>Dose</dt>
        <dd>{dosage.dose ?? dosage.text ?? 'not given'}</dd>
        <dt>Route</dt>
        <dd>{dosage.route ?? 'not given'}</dd>
        <dt>Frequency</dt>
        <dd>{dosage.frequency ?? 'not given'}</dd>
        <dt>Prescriber</dt>
        <dd>{order.prescriber ?? 'unknown'}</dd>
        <dt>Ordered</dt>
        <dd>{dateTimeText(order.order['authoredOn'])}</dd>
      </dl>
      <h3>Allergies</h3>
      <AllergyList list={order.allergies} />
    </>
  );
}
