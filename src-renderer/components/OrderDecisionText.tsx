// "Verified by Jordan Lee, PharmD — recorded on the server": the decision with its pharmacist by name
// (the host gives her fhirUser), never by reference.
import type { OrderDecisionState } from '../../src-main/shared/api.ts';
import { decisionWords } from '../format/order-decision.ts';
import { PersonName } from './PersonName.tsx';

export function OrderDecisionText({ decision }: { decision: OrderDecisionState }) {
  const { decided, sent } = decisionWords(decision);
  return (
    <>
      {decided} by <PersonName reference={decision.by} />
      {sent}
    </>
  );
}
