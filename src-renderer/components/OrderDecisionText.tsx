// "Rejected by Jordan Lee, PharmD: “eGFR 22: 30 mg daily” — recorded on the server": the decision with
// its pharmacist by name (the host gives her fhirUser), never by reference, and its reason or question.
import type { OrderDecisionState } from '../../src-main/shared/api.ts';
import { decisionWords } from '../format/order-decision.ts';
import { PersonName } from './PersonName.tsx';

export function OrderDecisionText({ decision }: { decision: OrderDecisionState }) {
  const { decided, sent } = decisionWords(decision);
  return (
    <>
      {decided} by <PersonName reference={decision.by} />
      {decision.reason ? `: “${decision.reason}”` : ''}
      {sent}
    </>
  );
}
