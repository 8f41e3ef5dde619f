// The pharmacist's demo: a few Ward A orders written at seed time, each built to raise one check of
// resources/rules/order-checks.json (docs/pharmacy.md, "Demo orders"), beside one order with no flag.
// Earlier orders the pharmacist already verified carry a completed verification Task, so only the new
// orders wait in the worklist.
import { createHash } from 'node:crypto';
import type { FhirResource } from '../base/types.ts';
import type { LabValue } from './build.ts';
import { medicationRequest, wardMeta } from './build.ts';
import type { Medication } from './formulary.ts';
import { FORMULARY } from './formulary.ts';
import type { AllergyKind } from './pharmacy-context.ts';
import { ALLERGIES, allergy, contextObservations } from './pharmacy-context.ts';
import type { ContextKind } from './formulary.ts';
import type { KidneyPatient } from './kidney-function.ts';
import type { Random } from './random.ts';

export interface DemoPatient {
  ward: string;
  patientId: string;
  encounterId: string;
  kidney: KidneyPatient;
}

interface Scenario {
  /** What the order is built to show (docs). */
  flag: string;
  order: Medication;
  priority: 'routine' | 'urgent' | 'stat';
  allergy?: AllergyKind;
  /** An earlier order, already verified. */
  current?: Medication;
  /** Context values fixed for the flag (the rest is drawn). */
  values?: Partial<Record<ContextKind, LabValue[]>>;
}

const HOUR = 3_600_000;

export const DEMO_SCENARIOS: readonly Scenario[] = [
  {
    flag: 'drug-allergy class: a penicillin for a patient with penicillin anaphylaxis',
    order: FORMULARY.piperacillinTazobactam,
    priority: 'stat',
    allergy: ALLERGIES.penicillin,
  },
  {
    flag: 'duplicate therapy: heparin on top of enoxaparin',
    order: FORMULARY.heparin,
    priority: 'routine',
    current: FORMULARY.enoxaparin,
  },
  {
    flag: 'interaction: ibuprofen with warfarin',
    order: FORMULARY.ibuprofen,
    priority: 'urgent',
    current: FORMULARY.warfarin,
    values: { inr: [{ value: 2.4, interpretation: 'H' }] },
  },
  {
    flag: 'renal dose: enoxaparin 40 mg daily at CrCl below 30 mL/min (eGFR 22, 54 kg)',
    order: FORMULARY.enoxaparin,
    priority: 'routine',
    values: {
      // The eGFR; its creatinine is what CKD-EPI 2021 gives for this patient (kidney-function.ts).
      renal: [{ value: 22, interpretation: 'L' }],
      // The label doses by Cockcroft–Gault: at eGFR 22, 54 kg keeps the clearance below 30 mL/min
      // whatever the patient's age and sex (a heavier patient's could be above it).
      weight: [{ value: 54, interpretation: 'N' }],
    },
  },
  {
    flag: 'K+ 5.8 before a potassium-raising drug (spironolactone)',
    order: FORMULARY.spironolactone,
    priority: 'routine',
    values: { potassium: [{ value: 5.8, interpretation: 'H' }] },
  },
  {
    flag: 'INR 4.1 on warfarin',
    order: FORMULARY.warfarin,
    priority: 'urgent',
    values: { inr: [{ value: 4.1, interpretation: 'H' }] },
  },
  { flag: 'none: a routine order with nothing to flag', order: FORMULARY.amlodipine, priority: 'routine' },
];

/** The id of a verification Task for an order (the same mapping the client uses: docs/pharmacy.md). */
export function verifyTaskId(orderId: string): string {
  return `verify-${createHash('sha256').update(`MedicationRequest/${orderId}`).digest('hex').slice(0, 40)}`;
}

/** A completed verification by the demo pharmacist, for an order verified before the demo starts. */
function earlierVerification(
  order: FhirResource & { id: string },
  who: DemoPatient,
  at: string,
): FhirResource {
  return {
    resourceType: 'Task',
    id: verifyTaskId(order.id),
    meta: wardMeta(who.ward),
    status: 'completed',
    intent: 'order',
    code: { coding: [{ system: 'http://alert-monitor.local/fhir/CodeSystem/task-code', code: 'verify' }] },
    focus: { reference: `MedicationRequest/${order.id}` },
    for: { reference: `Patient/${who.patientId}` },
    authoredOn: at,
    lastModified: at,
    owner: { reference: 'Practitioner/pharmacist' },
    businessStatus: { coding: [{ code: 'verified' }], text: 'Verified' },
  };
}

export interface DemoWriter {
  create(resource: FhirResource): FhirResource & { id: string };
  update(resource: FhirResource & { id: string }): void;
}

/** Write every scenario, one patient each (patients in bed order, the demo's bed-1 patient left alone). */
export function writeDemoOrders(
  write: DemoWriter,
  random: Random,
  patients: readonly DemoPatient[],
  now: number,
): number {
  let written = 0;
  DEMO_SCENARIOS.forEach((scenario, i) => {
    const who = patients[i];
    if (!who) return;
    const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();
    const context = { ...who, at: at(3) };
    if (scenario.allergy) write.create(allergy({ kind: scenario.allergy, ...who, at: at(48) }));
    const kinds = new Set<ContextKind>([...scenario.order.context, ...(scenario.current?.context ?? [])]);
    for (const kind of kinds) {
      for (const obs of contextObservations(random, kind, context, scenario.values?.[kind]))
        write.create(obs);
    }
    const requester = `physician-${who.ward.replace('ward-', '')}`;
    const requesterDisplay = `Ward ${who.ward.replace('ward-', '').toUpperCase()} attending physician`;
    if (scenario.current) {
      // A fixed id, so a seed reproduces the same records (the Task's focus names it).
      const earlier = {
        ...medicationRequest({
          medication: scenario.current,
          priority: 'routine',
          ...who,
          requester,
          requesterDisplay,
          at: at(30),
        }),
        id: `rx-${who.patientId}-current`,
      };
      write.update(earlier);
      write.update({ ...earlierVerification(earlier, who, at(29)), id: verifyTaskId(earlier.id) });
    }
    // Waiting times differ so the worklist's order within a priority shows.
    write.create(
      medicationRequest({
        medication: scenario.order,
        priority: scenario.priority,
        ...who,
        requester,
        requesterDisplay,
        at: at(0.1 * (i + 1)),
      }),
    );
    written += 1;
  });
  return written;
}
