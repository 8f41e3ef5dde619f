// The pharmacist's verification worklist (docs/pharmacy.md): every active order awaiting verification,
// as the host sorted it (stat → urgent → routine, longest waiting first), with its wait against the
// target, filtered by ward and patient. Full drug names, wrapped, never cut. An order the prescriber has
// answered is back in the list with the answer. The review opens beside it.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import type { WorklistItem } from '../../src-main/shared/api.ts';
import { queries } from '../api/queries.ts';
import { sameNameReferences } from '../feed/identity.ts';
import { answerHeading, waitState } from '../fhir/queue.ts';
import { wardName } from '../format/ward.ts';
import { useNow } from '../hooks/useNow.ts';
import { useWorklistKeys } from '../hooks/useWorklistKeys.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { OrderReview } from './OrderReview.tsx';
import { PatientIdentity } from './PatientIdentity.tsx';
import { ResourceState } from './resources/ResourceState.tsx';

interface RowProps {
  item: WorklistItem;
  selected: boolean;
  now: number;
  /** Another order in the lists is for a different patient of the same name. */
  sameName: boolean;
  /** On hold: a question is out to the prescriber. */
  held: boolean;
}

function Row({ item, selected, now, sameName, held }: RowProps) {
  const wait = waitState(item, now, { held });
  return (
    <li className={`queue-item priority-row-${item.priority}${selected ? ' selected' : ''}`}>
      <button
        type="button"
        className="queue-open"
        data-order={item.order}
        onClick={() => uiActions.selectOrder(item.order)}
        aria-current={selected ? 'true' : undefined}
      >
        <span className={`priority priority-${item.priority}`}>{item.priority.toUpperCase()}</span>
        <strong className="queue-med">{item.medication}</strong>
        <span className="queue-dose">{item.dosage ?? 'no dosage given'}</span>
        <span className="queue-who">
          <PatientIdentity patient={item.patient} sameName={sameName} /> · {wardName(item.ward)}
        </span>
        {item.answer ? (
          // Back from the prescriber: her answer first, so the pharmacist knows why it is listed again.
          <span className="queue-answer">
            {answerHeading(item.answer, now)}: “{item.answer.text}”
          </span>
        ) : null}
        <span className={wait.overdue ? 'wait overdue' : 'wait'}>{wait.text}</span>
        <span className="muted">by {item.prescriber ?? 'unknown prescriber'}</span>
      </button>
    </li>
  );
}

function Filters({ wards }: { wards: string[] }) {
  const filter = useUiStore((s) => s.worklistFilter);
  return (
    <div className="worklist-filters">
      <label>
        Ward{' '}
        <select value={filter.ward} onChange={(e) => uiActions.setWorklistFilter({ ward: e.target.value })}>
          <option value="">All wards</option>
          {wards.map((ward) => (
            <option key={ward} value={ward}>
              {wardName(ward)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Patient{' '}
        <input
          id="worklist-patient"
          type="search"
          value={filter.patient}
          placeholder="name, MRN or id"
          onChange={(e) => uiActions.setWorklistFilter({ patient: e.target.value })}
        />
      </label>
    </div>
  );
}

export function Worklist() {
  const filter = useUiStore((s) => s.worklistFilter);
  const selected = useUiStore((s) => s.selectedOrder);
  const now = useNow(15_000);
  const args = {
    ...(filter.ward ? { ward: filter.ward } : {}),
    ...(filter.patient.trim() ? { patient: filter.patient.trim() } : {}),
  };
  const list = useQuery(queries.worklist(args));
  const data = list.data;
  const targets = data?.targets;
  // Two patients of one name among the orders shown: each of their rows says so.
  const sameNames = useMemo(
    () =>
      sameNameReferences(
        [...(data?.items ?? []), ...(data?.awaitingClarification ?? [])].map((i) => i.patient),
      ),
    [data],
  );
  const row = (held: boolean) => (item: WorklistItem) => (
    <Row
      key={item.order}
      item={item}
      selected={item.order === selected}
      now={now}
      sameName={item.patient ? sameNames.has(item.patient.reference) : false}
      held={held}
    />
  );
  const awaiting = data?.awaitingClarification.length ?? 0;
  const allOrders = useMemo(() => [...(data?.items ?? []), ...(data?.awaitingClarification ?? [])], [data]);
  useWorklistKeys(allOrders);
  // On a server without the answer topic no push comes with an answer: when the worklist's search finds
  // one for the order under review, the review is read again so that it shows the answer too.
  const client = useQueryClient();
  const answerUnderReview = allOrders.find((i) => i.order === selected)?.answer?.reference ?? null;
  useEffect(() => {
    if (selected && answerUnderReview) void client.invalidateQueries({ queryKey: ['review', selected] });
  }, [client, selected, answerUnderReview]);
  return (
    <div className="order-layout">
      <section className="order-queue" aria-labelledby="worklist-title">
        <h2 id="worklist-title">Verification worklist</h2>
        {data?.status === 'ok' ? (
          <p className="worklist-counts">
            {data.items.length} awaiting verification
            {awaiting > 0 ? (
              <>
                {' · '}
                <a href="#awaiting-clarification">{awaiting} awaiting clarification</a>
              </>
            ) : null}
          </p>
        ) : null}
        <p className="muted">
          Stat → urgent → routine, longest waiting first.
          {targets
            ? ` Targets: stat ${targets.stat} min, urgent ${targets.urgent} min, routine ${targets.routine} min.`
            : ''}
        </p>
        <Filters wards={data?.wards ?? []} />
        <ResourceState what="the worklist" pending={list.isPending} error={list.error} view={data} />
        {data?.status === 'ok' && data.message ? <p className="state">{data.message}</p> : null}
        {data?.status === 'ok' && data.items.length === 0 ? (
          <p className="empty">No orders awaiting verification.</p>
        ) : null}
        <ol className="queue" aria-label="Orders">
          {(data?.items ?? []).map(row(false))}
        </ol>
        {data && awaiting > 0 ? (
          <>
            <h3 id="awaiting-clarification">Awaiting clarification</h3>
            <ol className="queue" aria-label="Orders awaiting clarification">
              {data.awaitingClarification.map(row(true))}
            </ol>
          </>
        ) : null}
      </section>
      <section className="detail order-review" aria-label="Order review" tabIndex={0}>
        {selected ? <OrderReview order={selected} /> : <p className="empty">Select an order to review it.</p>}
      </section>
    </div>
  );
}
