// The FHIR mapping of the closed loop across workstations (docs/alerting.md, "FHIR mapping"): what an
// acknowledgment, a resolution and an escalation step are on the server, and how they are read back.
// One result (its focus, `Observation/…`) has at most one acknowledgment, one resolution and one Task
// per escalation step, because each has an id and an identifier derived from the result alone and is
// created once (src-main/core/fhir/create-once.ts: a create-only PUT of the id, or conditional create
// by the identifier where the server assigns ids): every workstation that races to write it addresses
// the same record, and the server keeps the first.
//
//   acknowledgment  Communication ack-<hash(focus)>: status completed, about = the result, sender = who
//                   (reference + display), sent = when, payload = "acknowledged …; read-back: …"
//   resolution      Communication res-<hash(focus)>: inResponseTo = the acknowledgment, sender, sent, note
//   escalation step Task esc-<hash(focus, step)>: status requested → accepted | rejected, focus = the
//                   result, for = the patient, owner = the PractitionerRole or Group asked,
//                   restriction.recipient = the PractitionerRoles asked, performerType = the role,
//                   authoredOn = when asked, restriction.period.end = when the next step is due,
//                   note (authorReference, time) = who answered and when
//
// Untrusted JSON from the server is read only through src-main/shared/fhir-json.ts.
import type { SharedStep } from '../store/alert-sharing.ts';
import { createHash } from 'node:crypto';
import {
  at,
  codings,
  field,
  isRecord,
  num,
  records,
  referenceOf,
  str,
  type JsonRecord,
} from '../../shared/fhir-json.ts';

export const ACKNOWLEDGMENT_IDENTIFIER = 'urn:alert-monitor:acknowledgment';
export const RESOLUTION_IDENTIFIER = 'urn:alert-monitor:resolution';
export const STEP_IDENTIFIER = 'urn:alert-monitor:escalation-step';
/** Task.code of an escalation step. */
export const CLOSED_LOOP_CODES = 'http://alert-monitor.local/fhir/CodeSystem/closed-loop';
export const ESCALATION_CODE = 'critical-result-escalation';
/** PractitionerRole.code / Group.code / Task.performerType: the role an escalation step asks. */
export const CARE_ROLE_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/care-role';

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

/** The acknowledgment record's id for a result: the same on every workstation. */
export const acknowledgmentId = (focus: string): string => `ack-${hash(focus)}`;
export const resolutionId = (focus: string): string => `res-${hash(focus)}`;
export const stepTaskId = (focus: string, step: number): string => `esc-${hash(`${focus}#step-${step}`)}`;
/** The business identifier of a step's Task: what every workstation creates it once by. */
export const stepIdentifier = (focus: string, step: number): { system: string; value: string } => ({
  system: STEP_IDENTIFIER,
  value: `${focus}#step-${step}`,
});

/** What a workstation learned from an acknowledgment or resolution record on the server. */
export interface AcknowledgmentFact {
  kind: 'acknowledgment' | 'resolution';
  /** `Communication/…` */
  reference: string;
  /** The result, `Observation/…`. */
  focus: string;
  /** Who: `Practitioner/…`. */
  actor: string;
  actorName: string | null;
  /** When (ISO). */
  at: string;
  /** The read-back note an acknowledgment recorded (who was told, what was read back), or null. */
  note: string | null;
}

/** Task.status values of an escalation step, and what the workstation calls them. */
export type StepStatus = SharedStep['status'];

/** What a workstation learned from an escalation step Task on the server (the store keeps it as is). */
export type StepFact = SharedStep;

function identifierValue(resource: unknown, system: string): string | null {
  return (
    records(field(resource, 'identifier'))
      .filter((identifier) => identifier['system'] === system)
      .map((identifier) => str(identifier['value']))
      .find((value) => value !== null) ?? null
  );
}

/** An acknowledgment or resolution Communication read back; null when it is neither (or unreadable). */
export function readAcknowledgment(resource: unknown): AcknowledgmentFact | null {
  if (str(field(resource, 'resourceType')) !== 'Communication') return null;
  const id = str(field(resource, 'id'));
  const ack = identifierValue(resource, ACKNOWLEDGMENT_IDENTIFIER);
  const resolution = identifierValue(resource, RESOLUTION_IDENTIFIER);
  const focus = referenceOf(records(field(resource, 'about'))[0]);
  const actor = referenceOf(field(resource, 'sender'));
  const when = str(field(resource, 'sent'));
  if (!id || (!ack && !resolution) || !focus || !actor || !when || Number.isNaN(Date.parse(when)))
    return null;
  return {
    kind: resolution ? 'resolution' : 'acknowledgment',
    reference: `Communication/${id}`,
    focus,
    actor,
    actorName: str(at(resource, 'sender', 'display')),
    at: when,
    note: resolution ? null : readBackNote(resource, when),
  };
}

/**
 * The read-back note of an acknowledgment as the write-back words it ("… at <sent>; read-back: <note>",
 * src-main/core/alerting/writeback.ts); null for a record worded otherwise or without one.
 */
function readBackNote(resource: unknown, sent: string): string | null {
  const marker = `at ${sent}; read-back: `;
  for (const payload of records(field(resource, 'payload'))) {
    const content = str(payload['contentString']);
    const start = content?.indexOf(marker) ?? -1;
    if (content && start >= 0) return content.slice(start + marker.length) || null;
  }
  return null;
}

const TASK_STATUS: Record<string, StepStatus> = {
  requested: 'requested',
  received: 'requested',
  ready: 'requested',
  accepted: 'accepted',
  'in-progress': 'accepted',
  completed: 'accepted',
  rejected: 'declined',
  cancelled: 'cancelled',
};

/** Whether a resource is an escalation step Task (by its code). */
export function isEscalationTask(resource: unknown): boolean {
  return (
    str(field(resource, 'resourceType')) === 'Task' &&
    codings(field(resource, 'code')).some((c) => c.system === CLOSED_LOOP_CODES && c.code === ESCALATION_CODE)
  );
}

/** The step number a Task carries in `input` (type text "escalation-step"). */
function stepNumber(resource: unknown): number | null {
  for (const input of records(field(resource, 'input'))) {
    if (str(at(input, 'type', 'text')) !== 'escalation-step') continue;
    const value = num(input['valueInteger']);
    if (value !== null && Number.isInteger(value) && value >= 1 && value <= 50) return value;
  }
  return null;
}

/** The last note with an author: who answered the step, and when. */
function answer(resource: unknown): { by: string | null; name: string | null; at: string | null } {
  const note = records(field(resource, 'note'))
    .filter((n) => referenceOf(n['authorReference']) !== null)
    .at(-1);
  if (!note) return { by: null, name: null, at: null };
  return {
    by: referenceOf(note['authorReference']),
    name: str(at(note, 'authorReference', 'display')),
    at: str(note['time']),
  };
}

/** An escalation step Task read back; null when it is not one (or lacks what a step must have). */
export function readStep(resource: unknown): StepFact | null {
  if (!isEscalationTask(resource)) return null;
  const id = str(field(resource, 'id'));
  const focus = referenceOf(field(resource, 'focus'));
  const step = stepNumber(resource);
  const askedAt = str(field(resource, 'authoredOn'));
  const status = TASK_STATUS[str(field(resource, 'status')) ?? ''];
  if (!id || !focus || step === null || !askedAt || !status) return null;
  const role = codings(records(field(resource, 'performerType'))[0]).find(
    (c) => c.system === CARE_ROLE_SYSTEM,
  )?.code;
  const target = referenceOf(field(resource, 'owner'));
  const answered = status === 'requested' ? { by: null, name: null, at: null } : answer(resource);
  return {
    reference: `Task/${id}`,
    version: str(at(resource, 'meta', 'versionId')),
    focus,
    step,
    status: role === 'fail-safe' && status === 'requested' ? 'fail-safe' : status,
    target,
    targetName: str(at(resource, 'owner', 'display')),
    recipients: records(at(resource, 'restriction', 'recipient'))
      .map(referenceOf)
      .filter((r): r is string => r !== null),
    role: role ?? null,
    askedAt,
    dueAt: str(at(resource, 'restriction', 'period', 'end')),
    answeredBy: answered.by,
    answeredByName: answered.name,
    answeredAt: answered.at ?? (status === 'requested' ? null : str(field(resource, 'lastModified'))),
  };
}

/** An escalation step as the issuing workstation asks for it. */
export interface StepRequest {
  focus: string;
  patientRef: string | null;
  step: number;
  /** The care role asked, or 'fail-safe' for the last resort. */
  role: string;
  target: { reference: string; display: string | null } | null;
  recipients: Array<{ reference: string; display: string | null }>;
  askedAt: string;
  dueAt: string | null;
  /** Who issues it: the workstation, in words (a ward identity has no fhirUser). */
  requester: string;
  /** What the step asks, in words ("Critical result not acknowledged: …"; no patient name). */
  description: string;
  /** meta.security of the result: the Task stays on the same ward. */
  security: Array<{ system?: string; code?: string; display?: string }>;
}

const reference = (r: { reference: string; display: string | null }) => ({
  reference: r.reference,
  ...(r.display ? { display: r.display } : {}),
});

export function buildStepTask(request: StepRequest): { resourceType: 'Task'; id: string } & JsonRecord {
  return {
    resourceType: 'Task',
    id: stepTaskId(request.focus, request.step),
    ...(request.security.length > 0 ? { meta: { security: request.security } } : {}),
    identifier: [stepIdentifier(request.focus, request.step)],
    status: 'requested',
    intent: 'order',
    priority: 'stat',
    code: {
      coding: [{ system: CLOSED_LOOP_CODES, code: ESCALATION_CODE }],
      text: 'Critical result not acknowledged: escalation',
    },
    description: request.description,
    focus: { reference: request.focus },
    ...(request.patientRef ? { for: { reference: request.patientRef } } : {}),
    authoredOn: request.askedAt,
    lastModified: request.askedAt,
    requester: { display: request.requester },
    performerType: [{ coding: [{ system: CARE_ROLE_SYSTEM, code: request.role }], text: request.role }],
    ...(request.target ? { owner: reference(request.target) } : {}),
    restriction: {
      ...(request.recipients.length > 0 ? { recipient: request.recipients.map(reference) } : {}),
      ...(request.dueAt ? { period: { start: request.askedAt, end: request.dueAt } } : {}),
    },
    input: [{ type: { text: 'escalation-step' }, valueInteger: request.step }],
  };
}

/**
 * The step Task as answered: accepted or rejected, with a note naming who answered and when. Every
 * other element of the stored Task is kept (it is sent back with If-Match on its version).
 */
export function answeredTask(
  stored: JsonRecord,
  answer: 'accept' | 'decline',
  by: { reference: string; display: string | null },
  when: string,
): JsonRecord {
  const notes = records(stored['note']);
  return {
    ...stored,
    status: answer === 'accept' ? 'accepted' : 'rejected',
    ...(answer === 'decline' ? { statusReason: { text: 'Declined by the person asked' } } : {}),
    lastModified: when,
    note: [
      ...notes,
      {
        authorReference: reference(by),
        time: when,
        text: answer === 'accept' ? 'Accepted' : 'Declined',
      },
    ],
  };
}

/** Whether a stored resource is a JSON object we may send back (an answered Task). */
export const isStoredResource = (value: unknown): value is JsonRecord => isRecord(value);
