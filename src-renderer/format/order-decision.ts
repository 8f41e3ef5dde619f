// A pharmacist's decision on an order as one sentence, the same in her review and on the stat-order alert
// that interrupted her: what was decided, by whom (a person by name: components/OrderDecisionText.tsx),
// and whether the server has it yet.
import type { OrderDecision, OrderDecisionState } from '../../src-main/shared/api.ts';

const DECIDED: Record<OrderDecision, string> = {
  verify: 'Verified',
  reject: 'Rejected',
  clarify: 'Clarification requested',
};

/** The words around the person: "Verified" … " — recorded on the server". */
export function decisionWords(decision: OrderDecisionState): { decided: string; sent: string } {
  const sent =
    decision.state === 'pending'
      ? ' — sending to the server…'
      : decision.state === 'failed'
        ? ` — not yet accepted by the server (${decision.error ?? 'error'}); retrying`
        : ' — recorded on the server';
  return { decided: DECIDED[decision.decision], sent };
}
