// The review of one order (docs/pharmacy.md): the whole order, the patient banner (age, weight, height,
// kidney function with dates), the labs that matter, allergies with reaction and criticality, the other active
// orders, the checks' flags — each needing an override reason to verify anyway — and the decision:
// Verify, Reject with a reason, Request clarification from the prescriber, whose answers show under it.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type {
  OrderDecision,
  OrderFlag,
  PrescriberAnswer,
  OrderReview as Review,
} from '../../src-main/shared/api.ts';
import { conceptText, list } from '../../src-main/shared/fhir-json.ts';
import { useDecideOrder } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import { identityText } from '../feed/identity.ts';
import { answerHeading, reviewValueText } from '../fhir/queue.ts';
import { timeText } from '../format/time.ts';
import { ResourceState } from './resources/ResourceState.tsx';
import { OrderDecisionText } from './OrderDecisionText.tsx';
import { useUiStore } from '../state/ui-store.ts';

/** The API's limits (decideOrder in src-main/shared/api.ts): the page stops typing there, never refuses after. */
const OVERRIDE_MAX = 500;
const REASON_MAX = 1000;

function Banner({ review }: { review: Review }) {
  const p = review.patient;
  if (!p) return <p className="state">No patient on this order.</p>;
  return (
    <div className="patient-banner" aria-label="Patient">
      <strong>{p.name ?? p.reference}</strong>
      {p.mrn ? <span>MRN {p.mrn}</span> : null}
      {p.birthDate ? <span>born {p.birthDate}</span> : null}
      <span>
        {p.age !== null ? `${p.age} y` : 'age unknown'}
        {p.gender ? ` · ${p.gender}` : ''}
      </span>
      <span>{reviewValueText(p.weight, 'Weight')}</span>
      <span>{reviewValueText(p.height, 'Height')}</span>
      <span>{reviewValueText(p.egfr, 'eGFR')}</span>
      <span>{reviewValueText(p.creatinine, 'Creatinine')}</span>
      <span title="Creatinine clearance by Cockcroft–Gault, from the newest creatinine and weight; above 120 % of the ideal weight for the height, from the adjusted body weight">
        {p.crcl
          ? reviewValueText(
              p.crcl,
              p.crclAdjusted ? 'CrCl (Cockcroft–Gault, adjusted weight)' : 'CrCl (Cockcroft–Gault)',
            )
          : 'CrCl not computed'}
      </span>
    </div>
  );
}

function OrderFacts({ review }: { review: Review }) {
  const item = review.item;
  if (!item) return null;
  const indication = list(review.order?.['reasonCode'])
    .map(conceptText)
    .filter((text): text is string => text !== null)
    .join(', ');
  return (
    <dl className="resource">
      <dt>Priority</dt>
      <dd>
        <span className={`priority priority-${item.priority}`}>{item.priority.toUpperCase()}</span>
      </dd>
      <dt>Dose, route, timing</dt>
      <dd>{item.dosage ?? 'not given'}</dd>
      <dt>Indication</dt>
      <dd>{indication || 'not given'}</dd>
      <dt>Prescriber</dt>
      <dd>{item.prescriber ?? 'unknown'}</dd>
      <dt>Ordered</dt>
      <dd>{timeText(item.waitingSince)}</dd>
    </dl>
  );
}

function Flags({
  flags,
  overrides,
  setOverride,
}: {
  flags: OrderFlag[];
  overrides: Record<string, string>;
  setOverride: (flag: string, reason: string) => void;
}) {
  if (flags.length === 0) return <p className="no-flags">No flags from the order checks.</p>;
  return (
    <ul className="flags" aria-label="Flags">
      {flags.map((flag) => (
        <li key={flag.id} className={`flag flag-${flag.severity}`}>
          <strong>⚠ {flag.text}</strong>
          <span>
            {flag.detail}
            {flag.at ? ` (result of ${timeText(flag.at)})` : ''}
          </span>
          <span className="muted">Source: {flag.source}</span>
          <label>
            Override reason
            <input
              type="text"
              maxLength={OVERRIDE_MAX}
              value={overrides[flag.id] ?? ''}
              onChange={(e) => setOverride(flag.id, e.target.value)}
            />
          </label>
        </li>
      ))}
    </ul>
  );
}

/** The prescriber's answers, under the questions they answer (the decision line names those). */
function Answers({ answers }: { answers: PrescriberAnswer[] }) {
  if (answers.length === 0) return null;
  return (
    <section className="prescriber-answers" aria-labelledby="prescriber-answers-title">
      <h3 id="prescriber-answers-title">Prescriber’s {answers.length === 1 ? 'answer' : 'answers'}</h3>
      <ul>
        {answers.map((answer) => (
          <li key={answer.reference}>
            <strong>{answerHeading(answer)}:</strong> <q>{answer.text}</q>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Decide({ review, order }: { review: Review; order: string }) {
  const client = useQueryClient();
  const decide = useDecideOrder();
  const [overrides, setOverrides] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState<string | null>(null);
  // A decision needs the host: while it is unreachable the buttons say so instead of failing afterwards.
  const hostUp = useUiStore((s) => s.hostLink === 'open');
  const send = (decision: OrderDecision) =>
    decide.mutate(
      {
        order,
        decision,
        // The box is for a rejection's reason or a question; a verification never carries it.
        ...(decision !== 'verify' && reason.trim() ? { reason: reason.trim() } : {}),
        overrides: Object.entries(overrides)
          .filter(([, text]) => text.trim())
          .map(([flag, text]) => ({ flag, reason: text.trim() })),
      },
      {
        onSuccess: (result) => {
          // Accepted: the decision line (read back from the host) says where it stands from now on; a
          // "sending" message kept here would contradict it once the server has it.
          setAnswer(result.accepted ? null : result.message);
          // Sent with it: a question left in the box would read as one not asked yet.
          if (result.accepted) setReason('');
          void client.invalidateQueries({ queryKey: ['review', order] });
          void client.invalidateQueries({ queryKey: ['worklist'] });
        },
        onError: (error) => setAnswer(`Not recorded: ${error.message}`),
      },
    );
  const decided = review.decision && review.decision.decision !== 'clarify' ? review.decision : null;
  return (
    <>
      <h3>Flags</h3>
      <Flags
        flags={review.flags}
        overrides={overrides}
        setOverride={(flag, text) => setOverrides((o) => ({ ...o, [flag]: text }))}
      />
      {review.decision ? (
        <p className={`decision decision-${review.decision.state}`} role="status">
          <OrderDecisionText decision={review.decision} />
        </p>
      ) : null}
      <Answers answers={review.answers} />
      {decided ? null : (
        <div className="decide">
          <label>
            Reason (rejection) or question for the prescriber (clarification)
            <textarea
              value={reason}
              maxLength={REASON_MAX}
              onChange={(e) => setReason(e.target.value)}
              rows={2}
            />
          </label>
          {/* Every decision names the patient it is for, beside the buttons that make it. */}
          <p className="decide-for" id={`decide-for-${order}`}>
            For {identityText(review.patient)}: {review.item?.medication ?? order}
          </p>
          {hostUp ? null : (
            <p className="ack-blocked" role="status">
              The monitor host is not reachable: nothing can be recorded until it is back.
            </p>
          )}
          <div className="decide-buttons" role="group" aria-describedby={`decide-for-${order}`}>
            <button
              type="button"
              className="ack"
              disabled={decide.isPending || !hostUp}
              onClick={() => send('verify')}
            >
              Verify
            </button>
            <button type="button" disabled={decide.isPending || !hostUp} onClick={() => send('reject')}>
              Reject
            </button>
            <button type="button" disabled={decide.isPending || !hostUp} onClick={() => send('clarify')}>
              Request clarification
            </button>
          </div>
        </div>
      )}
      {answer ? (
        <p className="decide-answer" role="alert">
          {answer}
        </p>
      ) : null}
    </>
  );
}

export function OrderReview({ order }: { order: string }) {
  const query = useQuery(queries.review(order));
  const review = query.data;
  if (!review || review.status !== 'ok')
    return <ResourceState what="the order" pending={query.isPending} error={query.error} view={review} />;
  return (
    <>
      <h2 className="review-med">{review.item?.medication ?? order}</h2>
      <Banner review={review} />
      {review.message ? <p className="state">{review.message}</p> : null}
      <p className="notice">{review.checksNotice}</p>
      <OrderFacts review={review} />
      {/* Re-mounted per order, so a reason typed for one order is never sent with another. */}
      <Decide key={order} review={review} order={order} />
      <h3>Labs for this drug</h3>
      {review.labs.length === 0 ? (
        <p className="muted">No lab checks for this drug.</p>
      ) : (
        <ul className="labs">
          {review.labs.map((lab) => (
            <li key={lab.label}>{reviewValueText(lab, lab.label)}</li>
          ))}
        </ul>
      )}
      <h3>Allergies</h3>
      {review.allergies.length === 0 ? (
        <p className="muted">No allergies recorded.</p>
      ) : (
        <table className="allergies">
          <thead>
            <tr>
              <th scope="col">Substance</th>
              <th scope="col">Reaction</th>
              <th scope="col">Criticality</th>
            </tr>
          </thead>
          <tbody>
            {review.allergies.map((a) => (
              <tr key={a.reference}>
                <td>{a.substance}</td>
                <td>{a.reaction ?? 'not recorded'}</td>
                <td>{a.criticality ?? 'not recorded'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Active medications</h3>
      {review.activeMedications.length === 0 ? (
        <p className="muted">No other active orders.</p>
      ) : (
        <ul className="active-meds">
          {review.activeMedications.map((m) => (
            <li key={m.reference}>
              {m.medication} — {m.dosage ?? 'no dosage'}{' '}
              {m.verified ? '(verified)' : '(awaiting verification)'}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
