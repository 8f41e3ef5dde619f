// What a MedicationRequest says, read through the checked accessors (shared/fhir-json.ts): the full drug
// name, the dosage in words, the priority, the prescriber, when it started waiting, and its drug
// classes under the order-checks file.
import type { FhirResource, OrderPriority, VerificationTargets, WorklistItem } from '../../shared/api.ts';
import {
  codings,
  conceptText,
  field,
  quantity,
  readableUnits,
  records,
  referenceDisplay,
  referenceOf,
  str,
} from '../../shared/fhir-json.ts';
import { identityOf } from '../fhir/patient-identity.ts';
import type { DrugClass, OrderChecks } from '../rules/order-checks-file.ts';
import { relativeReference, wardCodes } from '../views.ts';
import type { AnsweredOrder } from './prescriber-answers.ts';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export const DEFAULT_TARGETS: VerificationTargets = { stat: 15, urgent: 30, routine: 60 };

const PRIORITIES: readonly OrderPriority[] = ['stat', 'asap', 'urgent', 'routine'];
/** Worklist rank: stat first, then asap and urgent together, then routine. */
const RANK: Record<OrderPriority, number> = { stat: 0, asap: 1, urgent: 1, routine: 2 };

export function priorityOf(order: FhirResource): OrderPriority {
  const value = str(order['priority']);
  return PRIORITIES.find((p) => p === value) ?? 'routine';
}

export function medicationText(order: FhirResource): string {
  return (
    conceptText(order['medicationCodeableConcept']) ??
    referenceDisplay(order['medicationReference']) ??
    'Medication (not named)'
  );
}

/** "40 mg subcutaneous once daily": the Dosage's text, else built from dose, route and timing. */
export function dosageText(order: FhirResource): string | null {
  const dosage = records(order['dosageInstruction'])[0];
  if (!dosage) return null;
  const text = str(dosage['text']);
  if (text) return text;
  const dose = quantity(field(records(dosage['doseAndRate'])[0], 'doseQuantity'));
  const route = conceptText(dosage['route']);
  const timing = conceptText(field(dosage['timing'], 'code'));
  const unit = readableUnits(dose?.unit ?? dose?.code);
  const parts = [dose ? `${dose.value} ${unit}`.trim() : null, route, timing];
  const words = parts.filter((p): p is string => p !== null).join(' ');
  return words.length > 0 ? words : null;
}

/** When the order started waiting: authoredOn, unless the server stored it later (a simulated clock). */
export function waitingSince(order: FhirResource): string {
  const authored = Date.parse(str(order['authoredOn']) ?? '');
  const stored = Date.parse(order.meta?.lastUpdated ?? '');
  const candidates = [authored, stored].filter((t) => Number.isFinite(t));
  const now = Date.now();
  const past = candidates.filter((t) => t <= now);
  const chosen = past.length > 0 ? Math.min(...past) : now;
  return new Date(chosen).toISOString();
}

export function targetFor(priority: OrderPriority, targets: VerificationTargets): number {
  return priority === 'stat' ? targets.stat : priority === 'routine' ? targets.routine : targets.urgent;
}

/**
 * An order as the worklist shows it. With the prescriber's answer to the question it was held for, its
 * wait leaves out the time on hold (`heldMs`, from the first question to the answer): the pharmacist's
 * target ran until she asked and runs again from the answer.
 */
export function worklistItem(
  order: FhirResource,
  patients: ReadonlyMap<string, FhirResource>,
  targets: VerificationTargets,
  answered: AnsweredOrder | null = null,
): WorklistItem {
  const priority = priorityOf(order);
  const since = new Date(Date.parse(waitingSince(order)) + (answered?.heldMs ?? 0)).toISOString();
  const targetMinutes = targetFor(priority, targets);
  const patientRef = relativeReference(order['subject']);
  const patient = patientRef ? patients.get(patientRef) : undefined;
  return {
    order: `MedicationRequest/${order.id ?? ''}`,
    medication: medicationText(order),
    dosage: dosageText(order),
    priority,
    patient: patientRef ? { reference: patientRef, ...identityOf(patient) } : null,
    ward: wardCodes(order)[0] ?? null,
    prescriber: str(field(order['requester'], 'display')) ?? referenceOf(order['requester']),
    waitingSince: since,
    targetMinutes,
    dueAt: new Date(Date.parse(since) + targetMinutes * 60_000).toISOString(),
    answer: answered?.answer ?? null,
  };
}

/** stat → urgent → routine, longest waiting first within each, then by reference (stable). */
export function compareItems(a: WorklistItem, b: WorklistItem): number {
  return (
    RANK[a.priority] - RANK[b.priority] ||
    a.waitingSince.localeCompare(b.waitingSince) ||
    a.order.localeCompare(b.order)
  );
}

/** The order-checks drug classes a medication belongs to: by RxNorm code, else by a keyword in its name. */
export function drugClassesOf(order: FhirResource, checks: OrderChecks): DrugClass[] {
  const codes = codings(order['medicationCodeableConcept'])
    .filter((c) => c.system === RXNORM && c.code !== null)
    .map((c) => c.code as string);
  const name = medicationText(order).toLowerCase();
  return checks.drugClasses.filter(
    (c) =>
      c.rxnorm.some((code) => codes.includes(code)) || c.keywords.some((k) => name.includes(k.toLowerCase())),
  );
}

/** Whole years between a birth date and `now`, or null. */
export function ageOn(birthDate: string | null, now: Date): number | null {
  const born = birthDate ? new Date(`${birthDate.slice(0, 10)}T00:00:00Z`) : null;
  if (!born || Number.isNaN(born.getTime())) return null;
  let years = now.getUTCFullYear() - born.getUTCFullYear();
  const beforeBirthday =
    now.getUTCMonth() < born.getUTCMonth() ||
    (now.getUTCMonth() === born.getUTCMonth() && now.getUTCDate() < born.getUTCDate());
  if (beforeBirthday) years -= 1;
  return years >= 0 ? years : null;
}
