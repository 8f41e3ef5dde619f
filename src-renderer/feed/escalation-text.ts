// The escalation chain in words, for the alert detail (components/EscalationChain.tsx): who was asked,
// when, who answered, what comes next. Pure functions over the chain the host sends with the alert.
import type { EscalationStepView } from '../../src-main/shared/api.ts';
import { timeText } from '../format/time.ts';

/** A care role in words. */
export function roleText(role: string | null): string {
  if (role === 'fail-safe') return 'fail-safe contact list';
  if (role === 'charge-nurse') return 'charge nurse';
  if (role === 'nurse') return 'the ward’s nurses';
  // A step being claimed locally before its Task names the role: say what it is for.
  return role ?? 'the next responder';
}

/**
 * One step in words: who was asked and when, and what became of it. `overtaken`: a later step has been
 * asked already (its time is no longer "next").
 */
export function stepText(
  step: EscalationStepView,
  now: number,
  overtaken = false,
): { asked: string; outcome: string } {
  const role = roleText(step.role);
  // A person's display often names the role already ("Alex Rivera, RN (charge nurse, Ward A)").
  const who = !step.targetName
    ? role
    : step.targetName.includes(role)
      ? step.targetName
      : `${step.targetName} (${role})`;
  const asked =
    step.status === 'issuing'
      ? `Asking ${role}…`
      : step.role === 'fail-safe'
        ? `Fail-safe reached at ${timeText(step.askedAt, now)}`
        : `Asked ${who} at ${timeText(step.askedAt, now)}`;
  const by = step.answeredByName ?? step.answeredBy ?? 'someone';
  const when = step.answeredAt ? ` at ${timeText(step.answeredAt, now)}` : '';
  switch (step.status) {
    case 'accepted':
      return { asked, outcome: `accepted by ${by}${when}` };
    case 'declined':
      return {
        asked,
        outcome: step.answeredBy ? `declined by ${by}${when}` : 'nobody holds this role: next step at once',
      };
    case 'cancelled':
      return { asked, outcome: 'called off' };
    case 'requested':
      if (overtaken) return { asked, outcome: 'no answer · the next step was asked' };
      return {
        asked,
        outcome: step.dueAt ? `no answer yet · next step at ${timeText(step.dueAt, now)}` : 'no answer yet',
      };
    default:
      return { asked, outcome: '' };
  }
}

/** Whether the chain reached the fail-safe step (the contact list is shown). */
export function reachedFailSafe(chain: readonly EscalationStepView[]): boolean {
  return chain.some((step) => step.status === 'fail-safe' || step.role === 'fail-safe');
}
