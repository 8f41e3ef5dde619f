// The pharmacist's queue order, without React (unit-tested).
import type { FhirResource, OrderQueueView } from '../../src-main/shared/api.ts';
import { humanName, referenceOf, str } from '../../src-main/shared/fhir-json.ts';
import { patientIdentities, PRIORITY_RANK, priorityOf } from './format.ts';

export interface QueuedOrder {
  reference: string;
  order: FhirResource;
  priority: string;
  patient: { reference: string; name: string; mrn?: string; birthDate?: string } | null;
  prescriber: string | null;
  allergies: FhirResource[];
}

/** stat → asap → urgent → routine; within a priority the longest-waiting order first. */
export function sortQueue(view: OrderQueueView): QueuedOrder[] {
  const identity = patientIdentities(view.patients);
  const prescribers = new Map(view.practitioners.map((p) => [`Practitioner/${p.id}`, humanName(p['name'])]));
  const allergies = new Map<string, FhirResource[]>();
  for (const a of view.allergies.resources) {
    const who = referenceOf(a['patient']);
    if (who) allergies.set(who, [...(allergies.get(who) ?? []), a]);
  }
  return view.orders
    .map((order) => {
      const subject = referenceOf(order['subject']);
      const requester = referenceOf(order['requester']);
      return {
        reference: `MedicationRequest/${order.id ?? ''}`,
        order,
        priority: priorityOf(order),
        patient: subject ? identity(subject) : null,
        prescriber: requester ? (prescribers.get(requester) ?? requester) : null,
        allergies: subject ? (allergies.get(subject) ?? []) : [],
      };
    })
    .sort(
      (a, b) =>
        (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) ||
        (str(a.order['authoredOn']) ?? '').localeCompare(str(b.order['authoredOn']) ?? ''),
    );
}
