// The escalation chain of a critical across workstations (docs/alerting.md, "Escalation to people"): who
// was asked, when, who answered, and what comes next; the fail-safe contact list once nobody answered;
// accept and decline for a step addressed to the signed-in user (or, on a ward screen, its team). The
// chain is the server's (Tasks any workstation wrote); the host pushes every change with the alert.
import { useMutation, useQuery } from '@tanstack/react-query';
import type { AlertSummary, EscalationPolicyView, EscalationStepView } from '../../src-main/shared/api.ts';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';
import { reachedFailSafe, stepText } from '../feed/escalation-text.ts';
import { useLiveNow } from '../hooks/useNow.ts';

function FailSafeContacts({ policy }: { policy: EscalationPolicyView | null | undefined }) {
  const contacts = policy?.failSafeContacts ?? [];
  return (
    <div className="escalated" role="alert">
      Nobody answered: call{' '}
      {contacts.length > 0
        ? contacts.map((c, i) => (
            <span key={`${c.name}-${c.phone}`}>
              {i > 0 ? ', ' : ''}
              {c.name} (<a href={`tel:${c.phone.replace(/[^0-9+]/g, '')}`}>{c.phone}</a>)
            </span>
          ))
        : 'the house supervisor'}
      .
    </div>
  );
}

function Answer({ alert, step }: { alert: AlertSummary; step: EscalationStepView }) {
  const answer = useMutation({
    mutationFn: (reply: 'accept' | 'decline') =>
      api.answerEscalation({ alertId: alert.id, step: step.step, answer: reply }),
  });
  return (
    <span className="ack-row">
      <button
        type="button"
        className="ack"
        disabled={answer.isPending}
        onClick={() => answer.mutate('accept')}
      >
        Accept (I take it)
      </button>
      <button type="button" disabled={answer.isPending} onClick={() => answer.mutate('decline')}>
        Decline (ask the next)
      </button>
      {answer.isError ? <span role="alert">Not recorded: {answer.error.message}</span> : null}
    </span>
  );
}

export function EscalationChain({ alert }: { alert: AlertSummary }) {
  const status = useQuery(queries.alertingStatus());
  const { now } = useLiveNow(1000);
  const chain = alert.escalation ?? [];
  if (chain.length === 0) return null;
  const open = alert.state === 'new' || alert.state === 'seen' || alert.state === 'escalated';
  return (
    <section className="escalation-chain" aria-label="Escalation">
      <h3>Escalation</h3>
      <ol>
        {chain.map((step) => {
          const text = stepText(step, now);
          return (
            <li key={step.step} data-step={step.step} data-status={step.status}>
              {text.asked}
              {text.outcome ? ` — ${text.outcome}` : ''}
              {open && step.addressedToYou && step.status === 'requested' ? (
                <Answer alert={alert} step={step} />
              ) : null}
            </li>
          );
        })}
      </ol>
      {open && reachedFailSafe(chain) ? <FailSafeContacts policy={status.data?.escalationPolicy} /> : null}
    </section>
  );
}
