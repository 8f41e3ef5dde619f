// The one mapping of a pharmacist's decision to FHIR (docs/pharmacy.md, "FHIR mapping"):
// - a `Task` (code verify, focus = the MedicationRequest, owner = the pharmacist) whose status is the
//   decision: completed (verified), rejected, on-hold (clarification requested), with businessStatus and
//   statusReason;
// - a `DetectedIssue` per flagged problem, implicating the order and what raised it, its mitigation the
//   override reason when verified anyway;
// - a `Communication` to the prescriber for a clarification request, and one for each follow-up
//   question asked while the order waits for the answer.
// Ids and identifiers are derived from the order (and the flag), so a retried or repeated write updates
// the same records instead of creating more: idempotent per order and decision. Where the server assigns
// ids itself, the identifier names the record (src-main/core/fhir/upsert.ts).
import { createHash } from 'node:crypto';
import type { OrderDecision, OrderFlag } from '../../shared/api.ts';
import { field, isRecord, parseJson, records, str, strings } from '../../shared/fhir-json.ts';
import type { OrderDecided } from '../store/alert-sharing.ts';
import { questionsLine } from '../store/verification-store.ts';
import { relativeReference } from '../views.ts';

export const TASK_CODE_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/task-code';
export const VERIFICATION_STATUS_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/verification-status';
const ORDER_CHECK_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/order-check';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const ISSUE_IDENTIFIER = 'urn:alert-monitor:order-check';
export const VERIFICATION_IDENTIFIER = 'urn:alert-monitor:order-verification';
export const CLARIFICATION_IDENTIFIER = 'urn:alert-monitor:order-clarification';

/** A flag as decided: with the pharmacist's override reason when she verified anyway. */
export interface DecidedFlag extends OrderFlag {
  override: string | null;
}

/** What is recorded at decision time; the FHIR resources are built from it when sent. */
export interface DecisionRecord {
  order: string;
  patient: string | null;
  prescriber: string | null;
  /** The pharmacist's fhirUser, e.g. "Practitioner/pharmacist". */
  pharmacist: string;
  at: string;
  decision: OrderDecision;
  reason: string | null;
  medication: string;
  flags: DecidedFlag[];
  /** Questions asked after the first while the order waits for the prescriber (clarify only). */
  followUps: FollowUp[];
}

export interface FollowUp {
  at: string;
  question: string;
}

/** At most this many follow-ups to one clarification: past that, a phone call says more. */
export const MAX_FOLLOW_UPS = 4;

/** Every question of a clarification request, the first one first. */
export function questionsOf(record: Pick<DecisionRecord, 'reason' | 'followUps'>): string[] {
  return [...(record.reason ? [record.reason] : []), ...record.followUps.map((f) => f.question)];
}

/** The questions as one line (the Task's reason, the page's decision line). */
export function questionsText(record: Pick<DecisionRecord, 'reason' | 'followUps'>): string | null {
  return questionsLine(questionsOf(record));
}

/** When the latest question of a clarification request was asked (null for another decision). */
export function lastAsked(record: Pick<DecisionRecord, 'decision' | 'at' | 'followUps'>): string | null {
  if (record.decision !== 'clarify') return null;
  return record.followUps.at(-1)?.at ?? record.at;
}

/** A record a decision writes: its derived id, and the identifier that names it on any server. */
export type OutgoingResource = {
  resourceType: string;
  id: string;
  identifier: [{ system: string; value: string }];
} & Record<string, unknown>;

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40);

/** The verification Task's id for an order (the simulator's earlier verifications use the same). */
export function verifyTaskId(order: string): string {
  return `verify-${digest(order)}`;
}

const TASK_STATUS: Record<OrderDecision, { status: string; code: string; text: string }> = {
  verify: { status: 'completed', code: 'verified', text: 'Verified' },
  reject: { status: 'rejected', code: 'rejected', text: 'Rejected' },
  clarify: { status: 'on-hold', code: 'clarification-requested', text: 'Clarification requested' },
};

/** The decision a verification Task's status records, or null for one still to do. */
export function decisionOfTask(status: string | null): OrderDecision | null {
  if (status === 'completed') return 'verify';
  if (status === 'rejected' || status === 'cancelled' || status === 'failed') return 'reject';
  if (status === 'on-hold') return 'clarify';
  return null;
}

export function buildTask(record: DecisionRecord): OutgoingResource {
  const outcome = TASK_STATUS[record.decision];
  const overrides = record.flags.filter((f) => f.override !== null);
  return {
    resourceType: 'Task',
    id: verifyTaskId(record.order),
    identifier: [{ system: VERIFICATION_IDENTIFIER, value: record.order }],
    status: outcome.status,
    intent: 'order',
    priority: 'routine',
    code: {
      coding: [{ system: TASK_CODE_SYSTEM, code: 'verify', display: 'Verify medication order' }],
    },
    focus: { reference: record.order, display: record.medication },
    ...(record.patient ? { for: { reference: record.patient } } : {}),
    authoredOn: record.at,
    lastModified: record.at,
    owner: { reference: record.pharmacist },
    businessStatus: {
      coding: [{ system: VERIFICATION_STATUS_SYSTEM, code: outcome.code, display: outcome.text }],
      text: outcome.text,
    },
    ...(record.reason && record.decision !== 'verify'
      ? { statusReason: { text: record.decision === 'clarify' ? questionsText(record) : record.reason } }
      : {}),
    ...(overrides.length > 0 || (record.reason && record.decision === 'verify')
      ? {
          note: [
            ...(record.reason && record.decision === 'verify'
              ? [{ time: record.at, text: record.reason }]
              : []),
            ...overrides.map((f) => ({ time: record.at, text: `Override (${f.text}): ${f.override ?? ''}` })),
          ],
        }
      : {}),
  };
}

const ISSUE_CODES: Record<OrderFlag['kind'], string | null> = {
  duplicate: 'DUPTHPY',
  interaction: 'DRG',
  allergy: null,
  renal: null,
  lab: null,
};

export function detectedIssueId(order: string, flagId: string): string {
  return `issue-${digest(`${order}|${flagId}`)}`;
}

function mitigationText(record: DecisionRecord, flag: DecidedFlag): string {
  if (record.decision === 'verify') return `Verified with override: ${flag.override ?? ''}`;
  if (record.decision === 'reject') return `Order rejected${record.reason ? `: ${record.reason}` : ''}`;
  return `Clarification requested from the prescriber${record.reason ? `: ${record.reason}` : ''}`;
}

export function buildDetectedIssue(record: DecisionRecord, flag: DecidedFlag): OutgoingResource {
  const act = ISSUE_CODES[flag.kind];
  return {
    resourceType: 'DetectedIssue',
    id: detectedIssueId(record.order, flag.id),
    identifier: [{ system: ISSUE_IDENTIFIER, value: `${record.order}|${flag.id}` }],
    status: 'final',
    code: {
      coding: [
        { system: ORDER_CHECK_SYSTEM, code: flag.kind },
        ...(act ? [{ system: ACT_CODE, code: act }] : []),
      ],
      text: flag.text,
    },
    severity: flag.severity,
    ...(record.patient ? { patient: { reference: record.patient } } : {}),
    identifiedDateTime: record.at,
    author: { reference: record.pharmacist },
    implicated: [
      { reference: record.order },
      ...flag.implicated.filter(Boolean).map((reference) => ({ reference })),
    ],
    detail: `${flag.detail}${flag.at ? ` (result of ${flag.at})` : ''}. Rule ${flag.id.split(':')[0] ?? flag.id}: ${flag.source}`,
    mitigation: [
      {
        action: { text: mitigationText(record, flag) },
        date: record.at,
        author: { reference: record.pharmacist },
      },
    ],
  };
}

/**
 * The message to the prescriber: the first question (`number` 1, named by the order alone, as before
 * follow-ups existed), or follow-up `number` (named by the order and its number).
 */
export function buildClarification(
  record: DecisionRecord,
  question: FollowUp = { at: record.at, question: record.reason ?? 'see the order' },
  number = 1,
): OutgoingResource {
  const name = number === 1 ? record.order : `${record.order}#${number}`;
  const words =
    number === 1
      ? `Please clarify ${record.medication}: ${question.question}`
      : `Follow-up question ${number} on ${record.medication}: ${question.question}`;
  return {
    resourceType: 'Communication',
    id: `clarify-${digest(name)}`,
    identifier: [{ system: CLARIFICATION_IDENTIFIER, value: name }],
    status: 'completed',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'instruction' },
        ],
        text: 'Medication order clarification request',
      },
    ],
    priority: 'urgent',
    ...(record.patient ? { subject: { reference: record.patient } } : {}),
    about: [{ reference: record.order }],
    sent: question.at,
    sender: { reference: record.pharmacist },
    ...(record.prescriber ? { recipient: [{ reference: record.prescriber }] } : {}),
    payload: [{ contentString: words }],
  };
}

/** The first question's message and one per follow-up, in the order asked. */
function clarifications(record: DecisionRecord): OutgoingResource[] {
  if (record.decision !== 'clarify') return [];
  return [
    buildClarification(record),
    ...record.followUps.map((followUp, i) => buildClarification(record, followUp, i + 2)),
  ];
}

/** Everything a decision writes, in order: issues and the message first, the Task (the decision) last. */
export function resourcesFor(record: DecisionRecord): OutgoingResource[] {
  return [
    ...record.flags.map((flag) => buildDetectedIssue(record, flag)),
    ...clarifications(record),
    buildTask(record),
  ];
}

const KINDS: readonly OrderFlag['kind'][] = ['allergy', 'duplicate', 'interaction', 'renal', 'lab'];
const DECISIONS: readonly OrderDecision[] = ['verify', 'reject', 'clarify'];

/** A stored decision read back from the database; null when it is not one. */
export function parseDecisionRecord(payload: string): DecisionRecord | null {
  const value = parseJson(payload);
  const order = str(field(value, 'order'));
  const pharmacist = str(field(value, 'pharmacist'));
  const at = str(field(value, 'at'));
  const decision = DECISIONS.find((d) => d === str(field(value, 'decision')));
  if (!isRecord(value) || !order || !pharmacist || !at || !decision) return null;
  const flags = records(value['flags']).flatMap((f): DecidedFlag[] => {
    const id = str(f['id']);
    const kind = KINDS.find((k) => k === str(f['kind']));
    if (!id || !kind) return [];
    return [
      {
        id,
        kind,
        severity: str(f['severity']) === 'moderate' ? 'moderate' : 'high',
        text: str(f['text']) ?? '',
        detail: str(f['detail']) ?? '',
        at: str(f['at']),
        source: str(f['source']) ?? '',
        implicated: strings(f['implicated']),
        override: str(f['override']),
      },
    ];
  });
  return {
    order,
    patient: str(value['patient']),
    prescriber: str(value['prescriber']),
    pharmacist,
    at,
    decision,
    reason: str(value['reason']),
    medication: str(value['medication']) ?? order,
    flags,
    followUps: records(value['followUps']).flatMap((f): FollowUp[] => {
      const question = str(f['question']);
      const asked = str(f['at']);
      return question && asked ? [{ at: asked, question }] : [];
    }),
  };
}

/**
 * The decision a verification Task on the server records (another workstation's, or this one's sent):
 * the order, the decision and the pharmacist who made it; null for any other resource, a Task still to
 * do, or one without an owner or a time.
 */
export function readOrderDecision(resource: unknown): OrderDecided | null {
  if (str(field(resource, 'resourceType')) !== 'Task') return null;
  const codes = records(field(field(resource, 'code'), 'coding'));
  if (!codes.some((c) => c['system'] === TASK_CODE_SYSTEM && c['code'] === 'verify')) return null;
  // Relative, as the alerts' foci and fhirUser are, however the server spelled them.
  const order = relativeReference(field(resource, 'focus'));
  const decision = decisionOfTask(str(field(resource, 'status')));
  const actor = relativeReference(field(resource, 'owner'));
  const at = str(field(resource, 'lastModified')) ?? str(field(resource, 'authoredOn'));
  if (!order?.startsWith('MedicationRequest/') || !decision || !actor || !at || Number.isNaN(Date.parse(at)))
    return null;
  return { order, decision, actor, at };
}
