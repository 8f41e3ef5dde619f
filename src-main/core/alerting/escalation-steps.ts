// Escalation steps on the server (docs/alerting.md, "Escalation to people"): issuing one (find who
// holds the role on the alert's ward, write the Task create-only) and answering one (accept or decline,
// version-aware). Exactly once across workstations: a step's Task id and identifier are derived from the
// result and the step number, and it is created once (src-main/core/fhir/create-once.ts), so two
// monitors that race, or one that was killed after writing and writes again, leave one Task; the loser
// reads the winner's. The intent is claimed in the local store first, so a step cut off by a crash is
// written again at the next start.
import {
  bundleResources,
  conceptText,
  outcomeMessage,
  parseJson,
  records,
  referenceDisplay,
  referenceOf,
  securityLabels,
  str,
  type JsonRecord,
} from '../../shared/fhir-json.ts';
import type { CapabilityCache } from '../fhir/capabilities.ts';
import { createOnce, createOnceWay, type BusinessIdentifier } from '../fhir/create-once.ts';
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';
import type { ClientStore } from '../store/client-store.ts';
import type { SharedStep } from '../store/alert-sharing.ts';
import { dueAfter, FAIL_SAFE_ROLE, type DueStep, type EscalationPolicy } from './escalation-policy.ts';
import {
  answeredTask,
  buildStepTask,
  CARE_ROLE_SYSTEM,
  isStoredResource,
  readStep,
  stepIdentifier,
  stepTaskId,
  type StepFact,
} from './loop-resources.ts';
import { labelsToCopy } from './writeback.ts';

/** The ward label system of the embedded server (docs/server.md, "Ward labels"). */
const WARD_LABEL_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/ward';

/** Who writes a step: a session allowed to create escalation Tasks on the alert's server. */
export interface StepIssuer {
  access: FhirAccess;
  /** Task.requester in words (a ward identity has no fhirUser): "Alert Monitor, ward-a workstation". */
  requester: string;
  /** The workstation's ward, used when the result carries no ward label. */
  ward: string | null;
}

/** The alert a step is about, as far as issuing needs it. */
export interface StepSubject {
  fhirBase: string;
  focus: string;
  patientRef: string | null;
  headline: string;
}

type Ref = { reference: string; display: string | null };

interface Target {
  target: Ref | null;
  recipients: Ref[];
}

export const toSharedStep = (fact: StepFact): SharedStep => ({ ...fact });

/** The ward of a result: its ward label on the cached focus, else the workstation's ward. */
export function wardOf(store: ClientStore, subject: StepSubject, fallback: string | null): string | null {
  const cached = store.cachedResource(subject.fhirBase, subject.focus);
  const label = cached
    ? securityLabels(parseJson(cached.json)).find((c) => c.system === WARD_LABEL_SYSTEM)?.code
    : null;
  return label ?? fallback;
}

async function search(access: FhirAccess, path: string): Promise<JsonRecord[]> {
  const { status, body } = await fhirFetch(access, path);
  if (status !== 200) throw new Error(`${path.split('?')[0] ?? path} search answered ${status}`);
  return bundleResources(body);
}

/**
 * Who holds `role` on `ward`: the PractitionerRoles asked, and the one addressee (that PractitionerRole,
 * or the Group of them when the directory has one; none when several hold it and no Group names them).
 */
export async function resolveTarget(access: FhirAccess, role: string, ward: string | null): Promise<Target> {
  const query = new URLSearchParams({ role: `${CARE_ROLE_SYSTEM}|${role}`, active: 'true' });
  if (ward) query.set('location', `Location/${ward}`);
  const roles = await search(access, `PractitionerRole?${query.toString()}`);
  const recipients = roles.flatMap((r) => {
    const id = str(r['id']);
    return id
      ? [
          {
            reference: `PractitionerRole/${id}`,
            display: referenceDisplay(r['practitioner']) ?? conceptText(r['code']),
          },
        ]
      : [];
  });
  if (recipients.length <= 1) return { target: recipients[0] ?? null, recipients };
  const first = recipients[0]?.reference ?? '';
  const groups = await search(
    access,
    `Group?${new URLSearchParams({ code: `${CARE_ROLE_SYSTEM}|${role}`, member: first }).toString()}`,
  );
  const wanted = recipients.map((r) => r.reference);
  const team = groups.find((group) => {
    const members = new Set(records(group['member']).map((m) => referenceOf(m['entity'])));
    return wanted.every((r) => members.has(r));
  });
  const teamId = team ? str(team['id']) : null;
  return {
    target: team && teamId ? { reference: `Group/${teamId}`, display: str(team['name']) } : null,
    recipients,
  };
}

export interface IssueOptions {
  store: ClientStore;
  policy: EscalationPolicy;
  /** Re-notification period after the last step (the fail-safe step is "due" again after it). */
  repeatMs: number;
  /** The servers' CapabilityStatements: how a Task is created once there. */
  capabilities: CapabilityCache;
  now(): number;
}

function stepDescription(subject: StepSubject, role: string): string {
  const what = subject.headline
    ? `critical result (${subject.headline.split(' ')[0] ?? 'lab'})`
    : 'critical result';
  return role === FAIL_SAFE_ROLE
    ? `Nobody answered for this ${what}: the fail-safe contact list is shown on every screen.`
    : `A ${what} was not acknowledged in time: you are asked to take it.`;
}

/** Create the step's Task once; the Task the server holds afterwards (ours, or the first writer's). */
async function writeStepOnce(
  access: FhirAccess,
  capabilities: CapabilityCache,
  task: JsonRecord & { id: string },
  identifier: BusinessIdentifier,
): Promise<StepFact> {
  const way = createOnceWay((await capabilities.get(access)).of('Task'));
  const written = await createOnce(access, { ...task, resourceType: 'Task' }, identifier, way);
  const fact = readStep(written.resource);
  if (!fact)
    throw new Error(`escalation step ${written.reference}: the server's Task is not an escalation step`);
  return fact;
}

/**
 * Issue step `due.step` of a result (or write it again after a crash): claim it locally, find who holds
 * the role, write the Task once, and keep what the server holds. Returns the step as the server has it.
 */
export async function issueStep(
  options: IssueOptions,
  issuer: StepIssuer,
  subject: StepSubject,
  due: DueStep,
): Promise<StepFact> {
  const { store } = options;
  const at = options.now();
  store.alerts.sharing.claimStep(subject.fhirBase, subject.focus, due.step, at);
  const role = due.policy.role;
  const ward = wardOf(store, subject, issuer.ward);
  const { target, recipients } =
    role === FAIL_SAFE_ROLE
      ? { target: null, recipients: [] }
      : await resolveTarget(issuer.access, role, ward);
  const cached = store.cachedResource(subject.fhirBase, subject.focus);
  const task = buildStepTask({
    focus: subject.focus,
    patientRef: subject.patientRef,
    step: due.step,
    role,
    target,
    recipients,
    askedAt: new Date(at).toISOString(),
    dueAt: new Date(dueAfter(options.policy, due.step, at, options.repeatMs)).toISOString(),
    requester: issuer.requester,
    description: stepDescription(subject, role),
    security: cached ? labelsToCopy(securityLabels(parseJson(cached.json))) : [],
  });
  // Nobody holds the role on this ward: the step is recorded as declined, so the next comes at once.
  const body =
    role !== FAIL_SAFE_ROLE && recipients.length === 0
      ? { ...task, status: 'rejected', statusReason: { text: `Nobody holds the role ${role} on this ward` } }
      : task;
  const fact = await writeStepOnce(
    issuer.access,
    options.capabilities,
    { ...body, id: stepTaskId(subject.focus, due.step) },
    stepIdentifier(subject.focus, due.step),
  );
  store.alerts.sharing.saveStep(subject.fhirBase, toSharedStep(fact), options.now());
  return fact;
}

/**
 * Accept or decline a step as `by`: the Task is updated only at the version read (If-Match), so when
 * two people answer at once one answer stands and the other sees it. Returns the step as it stands.
 */
export async function answerStep(
  access: FhirAccess,
  taskRef: string,
  answer: 'accept' | 'decline',
  by: Ref,
  at: string,
): Promise<StepFact> {
  const current = await fhirFetch(access, taskRef);
  const stored = current.status === 200 && isStoredResource(current.body) ? current.body : null;
  const fact = stored ? readStep(stored) : null;
  if (!stored || !fact) throw new Error(`${taskRef} could not be read (${current.status})`);
  if (fact.status !== 'requested') return fact;
  const written = await fhirFetch(access, taskRef, {
    method: 'PUT',
    body: answeredTask(stored, answer, by, at),
    headers: { 'If-Match': `W/"${fact.version ?? ''}"` },
  });
  if (written.status === 200) {
    const answered = readStep(written.body);
    if (answered) return answered;
  }
  if (written.status === 412) {
    const again = await fhirFetch(access, taskRef);
    const now = readStep(again.body);
    if (now) return now;
  }
  const diagnostics = outcomeMessage(written.body, 160);
  throw new Error(
    `answering ${taskRef}: server answered ${written.status}${diagnostics ? `: ${diagnostics}` : ''}`,
  );
}
