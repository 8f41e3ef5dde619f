// The escalation policy (docs/deployment.md, "Escalation policy"): timed steps, each addressed to a care
// role of the alert's ward (the ward's nurses, then the charge nurse), ending in a fail-safe contact list
// shown on screen. Pure functions: which step of a result is due, and when, from the chain the server's
// Tasks describe (alert-sharing.ts keeps it). A decline makes the next step due at once; an acceptance
// ends the chain (the person who accepted acknowledges).
import type { StepRow } from '../store/alert-rows.ts';

/** The role of the last resort: no person is asked; the contact list is shown on every screen. */
export const FAIL_SAFE_ROLE = 'fail-safe';

export interface PolicyStep {
  /** A care role (`nurse`, `charge-nurse`, PractitionerRole.code on the server), or FAIL_SAFE_ROLE. */
  role: string;
  /** Wait this long before the step: after the result arrived (first step), else after the previous step. */
  afterMinutes: number;
}

export interface FailSafeContact {
  name: string;
  phone: string;
}

export interface EscalationPolicy {
  steps: readonly PolicyStep[];
  failSafeContacts: readonly FailSafeContact[];
}

/** The demo's policy: the ward's nurses, then its charge nurse, then the fail-safe list. */
export const DEMO_ESCALATION_POLICY: EscalationPolicy = {
  steps: [
    { role: 'nurse', afterMinutes: 10 },
    { role: 'charge-nurse', afterMinutes: 5 },
    { role: FAIL_SAFE_ROLE, afterMinutes: 5 },
  ],
  failSafeContacts: [
    { name: 'House supervisor (on call)', phone: 'ext. 4400' },
    { name: 'Rapid response team', phone: 'ext. 5555' },
  ],
};

/** The next step of a result's chain and when it is due (epoch ms), or null when none is to come. */
export interface DueStep {
  step: number;
  policy: PolicyStep;
  dueAt: number;
  /** A step this workstation claimed but may not have written (a crash mid-step): write it again. */
  retry: boolean;
}

const MINUTE = 60_000;

function parsed(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Which step comes next for a result received at `receivedAt`, given its chain so far. The chain is
 * whatever the server holds (any workstation may have written it): the highest step known decides.
 */
export function nextStep(
  policy: EscalationPolicy,
  receivedAt: string,
  chain: readonly StepRow[],
): DueStep | null {
  const last = chain.reduce<StepRow | null>((a, b) => (a === null || b.step > a.step ? b : a), null);
  if (last && last.status === 'issuing') {
    const step = policy.steps[last.step - 1];
    return step ? { step: last.step, policy: step, dueAt: 0, retry: true } : null;
  }
  const number = (last?.step ?? 0) + 1;
  const step = policy.steps[number - 1];
  if (!step) return null;
  if (!last) {
    const received = parsed(receivedAt);
    return received === null
      ? null
      : { step: number, policy: step, dueAt: received + step.afterMinutes * MINUTE, retry: false };
  }
  // Someone took it (their acknowledgment follows), or the chain was called off.
  if (last.status === 'accepted' || last.status === 'cancelled') return null;
  if (last.status === 'declined') {
    const at = parsed(last.answered_at) ?? parsed(last.asked_at) ?? 0;
    return { step: number, policy: step, dueAt: at, retry: false };
  }
  // Asked and not answered: the next step when the asked step's time is up (the Task says when).
  const due = parsed(last.due_at) ?? (parsed(last.asked_at) ?? 0) + step.afterMinutes * MINUTE;
  return { step: number, policy: step, dueAt: due, retry: false };
}

/** The wait before a result's first step: nothing of the policy is due sooner after its arrival. */
export function firstStepWaitMs(policy: EscalationPolicy): number {
  return (policy.steps[0]?.afterMinutes ?? 0) * MINUTE;
}

/** When the step after `step` is due if nobody answers, for the Task's restriction.period.end. */
export function dueAfter(policy: EscalationPolicy, step: number, askedAt: number, repeatMs: number): number {
  const following = policy.steps[step];
  return askedAt + (following ? following.afterMinutes * MINUTE : repeatMs);
}

/**
 * Whether the policy still decides what happens to a result (steps left to ask, one being written, or
 * one accepted and its acknowledgment on the way). Only after the last step has been asked does the
 * plain re-notification take over ("repeat until read", escalation.ts).
 */
export function chainDecides(policy: EscalationPolicy, chain: readonly StepRow[]): boolean {
  if (chain.some((row) => row.status === 'issuing' || row.status === 'accepted')) return true;
  return chain.reduce((n, row) => Math.max(n, row.step), 0) < policy.steps.length;
}
