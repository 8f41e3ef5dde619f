// The review of one order: the whole order, the patient banner (age, weight, kidney function with its
// date, the creatinine clearance computed from them), the labs that matter for the drug, allergies with
// reaction and criticality, the patient's other active orders, the checks' flags, and the prescriber's
// answers to the pharmacist's questions about this order. Reads with the pharmacist's own token, fixed
// searches only.
import type {
  FhirResource,
  OrderDecision,
  OrderReview,
  ReviewAllergy,
  ReviewMedication,
  VerificationTargets,
} from '../../shared/api.ts';
import { arr, conceptText, firstCode, records, str } from '../../shared/fhir-json.ts';
import { readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import { identityOf } from '../fhir/patient-identity.ts';
import type { OrderChecks } from '../rules/order-checks-file.ts';
import { relativeReference, searchResources } from '../views.ts';
import { runChecks } from './checks.ts';
import { ageOn, dosageText, medicationText, priorityOf, worklistItem } from './order-facts.ts';
import { answeredOrder, readClarificationThreads } from './prescriber-answers.ts';
import { serverDecisions, type ServerDecision } from './worklist.ts';

function reviewAllergy(allergy: FhirResource): ReviewAllergy {
  const reaction = records(allergy['reaction'])
    .flatMap((r) => arr(r['manifestation']).map(conceptText))
    .filter((t): t is string => t !== null)
    .join(', ');
  return {
    reference: `AllergyIntolerance/${allergy.id ?? ''}`,
    substance: conceptText(allergy['code']) ?? 'Unnamed substance',
    reaction: reaction || null,
    criticality: str(allergy['criticality']),
    clinicalStatus: firstCode(allergy['clinicalStatus']),
  };
}

/** Every LOINC the checks may need for this patient (kidney function, weight, every lab check). */
function loincsOf(checks: OrderChecks): string[] {
  return [
    ...new Set([
      ...checks.kidneyFunction.egfrLoinc,
      ...checks.kidneyFunction.creatinineLoinc,
      ...checks.weightLoinc,
      ...checks.heightLoinc,
      ...checks.labs.flatMap((l) => l.loinc),
    ]),
  ];
}

export interface ReviewInput {
  access: FhirAccess;
  checks: OrderChecks;
  targets: VerificationTargets;
  order: string;
  now?: Date;
  /** This workstation's decision on an order (one not yet on the server counts too). */
  decidedHere?: (order: string) => OrderDecision | null;
}

export interface ReviewFacts {
  review: OrderReview;
  /** The server's recorded decision for the order (its verification Task), if any. */
  serverDecision: ServerDecision | null;
}

const failed = (status: OrderReview['status'], message: string | null, notice: string): OrderReview => ({
  status,
  message,
  item: null,
  order: null,
  patient: null,
  labs: [],
  allergies: [],
  activeMedications: [],
  flags: [],
  answers: [],
  decision: null,
  checksNotice: notice,
});

export async function buildReview(input: ReviewInput): Promise<ReviewFacts> {
  const { access, checks } = input;
  const read = await readResource(access, input.order);
  const order = read.resource;
  if (read.status !== 'ok' || !order || order.resourceType !== 'MedicationRequest') {
    return {
      review: failed(
        read.status === 'ok' ? 'error' : read.status,
        read.message ?? 'Not a medication order.',
        checks.notice,
      ),
      serverDecision: null,
    };
  }
  const patientRef = relativeReference(order['subject']);
  const [patientView, allergies, others, observations, tasks, threads] = await Promise.all([
    patientRef ? readResource(access, patientRef) : Promise.resolve(null),
    patientRef
      ? searchResources(access, 'AllergyIntolerance', [
          ['patient', patientRef],
          ['_count', '100'],
        ])
      : null,
    patientRef
      ? searchResources(access, 'MedicationRequest', [
          ['patient', patientRef],
          ['status', 'active'],
          ['_count', '200'],
        ])
      : null,
    patientRef
      ? searchResources(access, 'Observation', [
          ['patient', patientRef],
          ['code', loincsOf(checks).join(',')],
          ['_sort', '-date'],
          ['_count', '200'],
        ])
      : null,
    serverDecisions(access),
    readClarificationThreads(access, [patientRef]),
  ]);
  const patient = patientView?.resource ?? null;
  // A rejected order is not given: it neither interacts nor duplicates, and is not an active medication.
  const decisionOn = (o: FhirResource): OrderDecision | null => {
    const ref = `MedicationRequest/${o.id ?? ''}`;
    return input.decidedHere?.(ref) ?? tasks.byOrder.get(ref)?.decision ?? null;
  };
  const otherOrders = (others?.resources ?? []).filter(
    (o) => o.id !== order.id && decisionOn(o) !== 'reject',
  );
  const identity = identityOf(patient);
  const result = runChecks(
    {
      order,
      allergies: allergies?.resources ?? [],
      otherOrders,
      observations: observations?.resources ?? [],
      patient: patient ? { birthDate: identity.birthDate, gender: str(patient['gender']) } : null,
      now: input.now ?? new Date(),
    },
    checks,
  );
  const patients = new Map(patient && patientRef ? [[patientRef, patient]] : []);
  const activeMedications: ReviewMedication[] = otherOrders.map((o) => ({
    reference: `MedicationRequest/${o.id ?? ''}`,
    medication: medicationText(o),
    dosage: dosageText(o),
    priority: priorityOf(o),
    verified: decisionOn(o) === 'verify',
  }));
  const thread = threads.byOrder.get(input.order);
  const held = decisionOn(order) === 'clarify';
  const problems = [allergies, others, observations, tasks.view, threads].filter(
    (v) => v !== null && v.status !== 'ok',
  );
  return {
    review: {
      status: 'ok',
      message:
        problems.length > 0
          ? 'Some of the patient’s records could not be read: checks may be incomplete.'
          : null,
      item: worklistItem(order, patients, input.targets, held ? answeredOrder(thread) : null),
      order,
      patient: patientRef
        ? {
            reference: patientRef,
            ...identity,
            gender: patient ? str(patient['gender']) : null,
            age: ageOn(identity.birthDate, input.now ?? new Date()),
            weight: result.weight,
            height: result.height,
            egfr: result.egfr,
            creatinine: result.creatinine,
            crcl: result.crcl,
            crclAdjusted: result.crclAdjusted,
          }
        : null,
      labs: result.labs,
      allergies: (allergies?.resources ?? []).map(reviewAllergy),
      activeMedications,
      flags: result.flags,
      answers: thread?.answers ?? [],
      decision: null,
      checksNotice: checks.notice,
    },
    serverDecision: tasks.byOrder.get(input.order) ?? null,
  };
}
