// The escalation chain of a critical across workstations (docs/alerting.md, "Escalation to people"): who
// was asked, when, who answered, and what comes next; the fail-safe contact list once nobody answered;
// accept and decline for a step addressed to the signed-in user (or, on a ward screen, its team). The
// chain is the server's (Tasks any workstation wrote); the host pushes every change with the alert.
import { useMutation, useQuery } from '@tanstack/react-query';
import type { AlertSummary, EscalationPolicyView, EscalationStepView } from '../../src-main/shared/api.ts';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';
import { shownPatient } from '../feed/ack-gate.ts';
import { reachedFailSafe, stepText } from '../feed/escalation-text.ts';
import { useLiveNow } from '../hooks/useNow.ts';
import { useMe } from '../hooks/useSession.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { useAckGate } from './AckPanel.tsx';

function FailSafeContacts({ policy }: { policy: EscalationPolicyView | null | undefined }) {
  const contacts = policy?.failSafeContacts ?? [];
  return (
    <div className="escalated" role="alert">
      Nobody has taken it: call{' '}
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

/**
 * Accept or decline a step addressed to her. Accepting is acknowledging: it carries the read-back note
 * typed for this alert and the patient shown, and is held back for the same reasons as Acknowledge
 * (whose button, above it in the detail, says which).
 */
function Answer({ alert, step }: { alert: AlertSummary; step: EscalationStepView }) {
  const blocked = useAckGate(alert);
  const { signedIn } = useMe();
  const hostUp = useUiStore((s) => s.hostLink === 'open');
  const answer = useMutation({
    mutationFn: (reply: 'accept' | 'decline') => {
      const note = (useUiStore.getState().notes[alert.id] ?? '').trim();
      const patient = shownPatient(alert);
      return api.answerEscalation({
        alertId: alert.id,
        step: step.step,
        answer: reply,
        ...(reply === 'accept' && note ? { note } : {}),
        ...(patient ? { patient } : {}),
      });
    },
    onSuccess: (result) => {
      if (result?.state === 'acknowledged' || result?.state === 'resolved') uiActions.clearNote(alert.id);
    },
  });
  const answerable = signedIn && hostUp;
  return (
    <span className="ack-row">
      <button
        type="button"
        className="ack"
        disabled={answer.isPending || blocked !== null}
        onClick={() => answer.mutate('accept')}
      >
        Accept (I take it)
      </button>
      <button
        type="button"
        disabled={answer.isPending || !answerable}
        onClick={() => answer.mutate('decline')}
      >
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
          const text = stepText(
            step,
            now,
            chain.some((later) => later.step > step.step),
          );
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
