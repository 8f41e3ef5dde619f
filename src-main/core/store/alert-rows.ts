// The row shapes of the alert tables (alerts, audit_log, outbox) and how they read as API values. No
// SQL here: the statements are in alert-store.ts, the one owner of those tables. The lifecycle timers
// are fixed when the store is opened, so what a row reports (ackDueAt, targetDueAt) never depends on
// who else was created first.
import type {
  AlertClass,
  AlertLifecycle,
  AlertState,
  AlertSummary,
  EscalationStepView,
  ResourceStatus,
  WritebackState,
} from '../../shared/api.ts';
import { parseJson, strings } from '../../shared/fhir-json.ts';

/** Timers of the closed loop (docs/alerting.md). */
export interface LifecycleTimers {
  /** Escalate a critical not acknowledged within this long after it was received. */
  ackTimeoutMs: number;
  /** The critical-result communication target, from the result time. */
  targetMs: number;
}

export const DEFAULT_LIFECYCLE_TIMERS: LifecycleTimers = {
  ackTimeoutMs: 10 * 60_000,
  targetMs: 30 * 60_000,
};

/** Lifecycle states in which a critical is still waiting for a person: pinned, escalating. */
export const OPEN_STATES = ['new', 'seen', 'escalated'] as const;

/** One row of `alerts` (schema.ts, migrations 1, 2 and 5). */
export interface AlertRow {
  id: string;
  subscription_key: string;
  event_number: number;
  topic: string;
  focus: string;
  tier: string;
  headline: string;
  reason: string;
  patient_ref: string | null;
  patient_name: string | null;
  /** Migration 8. */
  patient_mrn: string | null;
  patient_birth_date: string | null;
  location: string | null;
  ward: string | null;
  occurred_at: string;
  received_at: string;
  state: string;
  fetch_status: string;
  notify_state: string;
  notified_at: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  ack_note: string | null;
  summary: string | null;
  rule_id: string | null;
  seen_at: string | null;
  seen_by: string | null;
  escalated_at: string | null;
  escalation_level: number;
  next_escalation_at: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  writeback_state: string;
  writeback_error: string | null;
  writeback_ref: string | null;
  /** Migration 3: '<fhirBase>|<principal>' (owners.ts), or null when owned by nobody. */
  owner: string | null;
  /** Migration 5: non-null while the focus is owed (transient read failure). */
  fetch_retry_at: string | null;
  fetch_attempts: number;
  notified_unchecked: number;
  /** Migration 6: the acknowledging person's name; whether it (or the resolution) happened elsewhere. */
  acknowledged_by_name: string | null;
  ack_elsewhere: number;
  resolved_elsewhere: number;
}

function plus(iso: string, ms: number): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t + ms).toISOString();
}

/** Still waiting for a person (OPEN_STATES). */
export function isOpenState(state: string): boolean {
  return (OPEN_STATES as readonly string[]).includes(state);
}

function toLifecycle(row: AlertRow, timers: LifecycleTimers): AlertLifecycle {
  const open = row.tier === 'critical' && isOpenState(row.state);
  return {
    notifiedAt: row.notified_at,
    notifyState: row.notify_state,
    seenAt: row.seen_at,
    seenBy: row.seen_by,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedByName: row.acknowledged_by_name,
    acknowledgedElsewhere: row.ack_elsewhere === 1,
    resolvedElsewhere: row.resolved_elsewhere === 1,
    ackNote: row.ack_note,
    escalatedAt: row.escalated_at,
    escalationLevel: row.escalation_level,
    ackDueAt: open ? plus(row.received_at, timers.ackTimeoutMs) : null,
    targetDueAt: plus(row.occurred_at, timers.targetMs),
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    pinned: open,
    writeback: {
      state: row.writeback_state as WritebackState,
      error: row.writeback_error,
      reference: row.writeback_ref,
    },
  };
}

/** The patient as the API shows it: fields the row does not have are left out, not null. */
function patientOf(row: AlertRow, reference: string): NonNullable<AlertSummary['patient']> {
  return {
    reference,
    ...(row.patient_name ? { name: row.patient_name } : {}),
    ...(row.patient_mrn ? { mrn: row.patient_mrn } : {}),
    ...(row.patient_birth_date ? { birthDate: row.patient_birth_date } : {}),
  };
}

export function rowToAlert(row: AlertRow, timers: LifecycleTimers): AlertSummary {
  return {
    id: row.id,
    subscriptionKey: row.subscription_key,
    eventNumber: String(row.event_number),
    topic: row.topic,
    focus: row.focus,
    tier: row.tier as AlertClass,
    headline: row.headline,
    reason: row.reason,
    patient: row.patient_ref ? patientOf(row, row.patient_ref) : null,
    location: row.location,
    ward: row.ward,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    state: row.state as AlertState,
    fetch: row.fetch_status as ResourceStatus,
    fetchRetryAt: row.fetch_retry_at,
    summary: row.summary,
    ruleId: row.rule_id,
    lifecycle: toLifecycle(row, timers),
  };
}

/** A queued write-back, as the pump sees it. */
export interface OutboxItem {
  id: number;
  alertId: string;
  kind: string;
  fhirBase: string;
  payload: string;
  attempts: number;
  nextAttemptAt: string;
  /** Owner key of the user who acted; only their own session sends it (null: queued before migration 3). */
  actor: string | null;
}

/** One audit entry with its alert's focus and tier (the CSV export's columns). */
export interface AuditRow {
  id: number;
  at: string;
  alert_id: string | null;
  action: string;
  actor: string | null;
  detail: string | null;
  focus: string | null;
  tier: string | null;
}

/** One row of `outbox` (schema.ts, migration 2). */
export interface OutboxRow {
  id: number;
  alert_id: string;
  kind: string;
  fhir_base: string;
  payload: string;
  attempts: number;
  next_attempt_at: string;
  actor: string | null;
}

export function toOutboxItem(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    alertId: row.alert_id,
    kind: row.kind,
    fhirBase: row.fhir_base,
    payload: row.payload,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    actor: row.actor,
  };
}

/** One row of `escalation_steps` (schema.ts, migration 6): a step of one result's escalation chain. */
export interface StepRow {
  fhir_base: string;
  focus: string;
  step: number;
  status: string;
  task_ref: string | null;
  version: string | null;
  role: string | null;
  target: string | null;
  target_name: string | null;
  /** JSON array of PractitionerRole references. */
  recipients: string;
  asked_at: string | null;
  due_at: string | null;
  answered_by: string | null;
  answered_by_name: string | null;
  answered_at: string | null;
  notice: string;
  updated_at: string;
}

/** The PractitionerRoles a step asked. */
export function stepRecipients(row: Pick<StepRow, 'recipients'>): string[] {
  return strings(parseJson(row.recipients));
}

export function stepToView(row: StepRow): EscalationStepView {
  return {
    step: row.step,
    role: row.role,
    status: row.status as EscalationStepView['status'],
    target: row.target,
    targetName: row.target_name,
    askedAt: row.asked_at,
    dueAt: row.due_at,
    answeredBy: row.answered_by,
    answeredByName: row.answered_by_name,
    answeredAt: row.answered_at,
    taskRef: row.task_ref,
  };
}
