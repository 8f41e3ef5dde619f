// The verification worklist: every active order awaiting verification, whether or not an alert came
// for it. A host search on the signed-in server (active orders, their verification Tasks, their
// patients, and the prescribers' answers to the orders held for clarification), minus what this
// workstation decided and has not yet written; sorted stat → urgent → routine, longest waiting first
// within each, each against its target (docs/pharmacy.md).
import type {
  FhirResource,
  OrderDecision,
  SearchView,
  VerificationTargets,
  WorklistItem,
  WorklistView,
} from '../../shared/api.ts';
import { referenceOf, str } from '../../shared/fhir-json.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import { relativeReference, searchByIds, searchResources } from '../views.ts';
import { decisionOfTask } from './decisions.ts';
import { compareItems, worklistItem } from './order-facts.ts';
import { answeredOrder, readClarificationThreads } from './prescriber-answers.ts';

export const MAX_ORDERS = 1000;

export interface WorklistFilter {
  ward?: string | undefined;
  /** Case-insensitive match on the patient's name, MRN or reference. */
  patient?: string | undefined;
}

/** A decision as the server's verification Task records it, and who made it (the Task's owner). */
export interface ServerDecision {
  decision: OrderDecision;
  /** The pharmacist's reference (`Practitioner/…`), when the Task names one. */
  by: string | null;
}

/** The decision each order's verification Task records on the server, by order reference. */
export async function serverDecisions(
  access: FhirAccess,
): Promise<{ view: SearchView; byOrder: Map<string, ServerDecision> }> {
  const view = await searchResources(access, 'Task', [
    ['code', 'verify'],
    ['_count', String(MAX_ORDERS)],
  ]);
  const byOrder = new Map<string, ServerDecision>();
  for (const task of view.resources) {
    const focus = referenceOf(task['focus']);
    const decision = decisionOfTask(str(task['status']));
    if (focus && decision) byOrder.set(focus, { decision, by: relativeReference(task['owner']) });
  }
  return { view, byOrder };
}

function matches(item: WorklistItem, filter: WorklistFilter): boolean {
  if (filter.ward && item.ward !== filter.ward) return false;
  if (filter.patient) {
    const wanted = filter.patient.toLowerCase();
    const name = item.patient?.name?.toLowerCase() ?? '';
    const mrn = item.patient?.mrn?.toLowerCase() ?? '';
    const reference = item.patient?.reference.toLowerCase() ?? '';
    if (![name, mrn, reference].some((field) => field.includes(wanted))) return false;
  }
  return true;
}

export async function buildWorklist(input: {
  access: FhirAccess;
  targets: VerificationTargets;
  /** Decisions made on this workstation (written or still queued), by order reference. */
  localDecisions: ReadonlyMap<string, OrderDecision>;
  /** When this workstation last asked the prescriber about an order (recorded, maybe not yet sent). */
  lastAskedHere?: (order: string) => string | null;
  filter: WorklistFilter;
}): Promise<WorklistView> {
  const { access, targets, filter } = input;
  const at = new Date().toISOString();
  const empty = { items: [], awaitingClarification: [], wards: [], targets, at };
  const [orders, tasks] = await Promise.all([
    searchResources(access, 'MedicationRequest', [
      ['status', 'active'],
      ['intent', 'order'],
      ['_sort', '-date'],
      ['_count', String(MAX_ORDERS)],
    ]),
    serverDecisions(access),
  ]);
  if (orders.status !== 'ok') return { status: orders.status, message: orders.message, ...empty };
  if (tasks.view.status !== 'ok')
    return {
      status: tasks.view.status,
      message: tasks.view.message ?? 'Verification records unavailable.',
      ...empty,
    };
  const decisionFor = (order: FhirResource): OrderDecision | null => {
    const reference = `MedicationRequest/${order.id ?? ''}`;
    return input.localDecisions.get(reference) ?? tasks.byOrder.get(reference)?.decision ?? null;
  };
  const open = orders.resources.filter((o) => {
    const decision = decisionFor(o);
    return decision === null || decision === 'clarify';
  });
  const held = open.filter((o) => decisionFor(o) === 'clarify');
  const [patients, threads] = await Promise.all([
    searchByIds(
      access,
      'Patient',
      open.map((o) => referenceOf(o['subject'])),
    ),
    readClarificationThreads(
      access,
      held.map((o) => relativeReference(o['subject'])),
    ),
  ]);
  const byRef = new Map(patients.resources.map((p) => [`Patient/${p.id ?? ''}`, p]));
  const items = open.map((o) => {
    const decision = decisionFor(o);
    // A held order the prescriber has answered is the pharmacist's to decide again.
    const reference = `MedicationRequest/${o.id ?? ''}`;
    const answered =
      decision === 'clarify'
        ? answeredOrder(threads.byOrder.get(reference), input.lastAskedHere?.(reference) ?? null)
        : null;
    return {
      item: worklistItem(o, byRef, targets, answered),
      held: decision === 'clarify' && answered === null,
    };
  });
  const wards = [...new Set(items.map((i) => i.item.ward).filter((w): w is string => w !== null))].sort();
  const shown = items.filter((i) => matches(i.item, filter));
  const problems = [patients.status === 'ok' ? null : 'Patient names unavailable.', threads.message].filter(
    (m): m is string => m !== null,
  );
  return {
    status: 'ok',
    message: problems.length > 0 ? problems.join(' ') : null,
    items: shown
      .filter((i) => !i.held)
      .map((i) => i.item)
      .sort(compareItems),
    awaitingClarification: shown
      .filter((i) => i.held)
      .map((i) => i.item)
      .sort(compareItems),
    wards,
    targets,
    at,
  };
}
