// Alerts, their closed loop and alerting status (part of the renderer <-> host contract in api.ts, which re-exports it; docs/architecture.md).
import type { ResourceStatus } from './api-resources.ts';

export const ALERT_TIERS = ['critical', 'high', 'info'] as const;
export type AlertTier = (typeof ALERT_TIERS)[number];
/** A tier, or "unclassified" when neither interpretation nor a threshold applies. */
export type AlertClass = AlertTier | 'unclassified';

export const ALERT_STATES = ['new', 'seen', 'acknowledged', 'escalated', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One feed row: what the notification said plus what the rules concluded about its focus. */
export interface AlertSummary {
  /** Stable local id: `<subscriptionKey>:<eventNumber>`. */
  id: string;
  subscriptionKey: string;
  eventNumber: string;
  topic: string;
  /** Relative FHIR reference of the focus, e.g. `Observation/obs-1` (claim-check id). */
  focus: string;
  tier: AlertClass;
  /** Short human headline, e.g. "Potassium 6.8 mmol/L". Empty until the focus was fetched. */
  headline: string;
  /** Why this tier, e.g. "critical high (HH); limit > 6.2 mmol/L". */
  reason: string;
  /**
   * The patient, with what tells two people of the same name apart: the MRN and the date of birth
   * (read from the Patient resource at enrichment; absent when the server did not give them).
   */
  patient: { reference: string; name?: string; mrn?: string; birthDate?: string } | null;
  /** The bed, e.g. "Ward A bed 1". */
  location: string | null;
  /** The ward the bed belongs to, e.g. "Ward A (adult medical)", when known. */
  ward?: string | null;
  /** Notification timestamp (server), ISO-8601. */
  occurredAt: string;
  /** When this workstation committed the event, ISO-8601. */
  receivedAt: string;
  state: AlertState;
  /** Focus fetch outcome: ok, gone (404/410), forbidden (403), pending, or error. */
  fetch: ResourceStatus;
  /**
   * Set while the focus could not be read for a transient reason and is still owed: when it is
   * retried. Such an alert shows "Could not load"; on a critical topic it counts as possibly critical.
   */
  fetchRetryAt?: string | null;
  /** Notification line without patient context, e.g. "K 6.8 mmol/L > 6.2". */
  summary?: string | null;
  /** What fired: `threshold:<id>`, `interpretation:<code>`, `priority:<p>`, `encounter`. */
  ruleId?: string | null;
  /** The closed loop: who did what when, the timers, and the write-back state. */
  lifecycle?: AlertLifecycle;
  /**
   * The escalation chain of this result across workstations: who was asked, when, who answered
   * (docs/alerting.md, "Escalation to people"). Absent or empty when nobody was asked.
   */
  escalation?: EscalationStepView[];
}

/** One step of an escalation chain, as the server's Task says (loop-resources.ts). */
export interface EscalationStepView {
  step: number;
  /** The care role asked (`nurse`, `charge-nurse`), or `fail-safe` for the last resort. */
  role: string | null;
  /** 'issuing' while this workstation is writing it. */
  status: 'issuing' | 'requested' | 'accepted' | 'declined' | 'cancelled' | 'fail-safe';
  /** The PractitionerRole or Group asked, and its name. */
  target: string | null;
  targetName: string | null;
  /** When it was asked, and when the next step is due if nobody answers (ISO). */
  askedAt: string | null;
  dueAt: string | null;
  answeredBy: string | null;
  answeredByName: string | null;
  answeredAt: string | null;
  /** `Task/…` on the server. */
  taskRef: string | null;
  /** Whether the signed-in user (or, on a ward screen, its team) was asked: she may accept or decline. */
  addressedToYou?: boolean;
}

export type WritebackState = 'none' | 'pending' | 'done' | 'failed' | 'unsupported';

export interface AlertLifecycle {
  notifiedAt: string | null;
  /** 'pending' | 'notifying' | 'notified' | 'summarised' | 'not-required'. */
  notifyState: string;
  seenAt: string | null;
  seenBy: string | null;
  acknowledgedAt: string | null;
  /** fhirUser of the acknowledging user, e.g. "Practitioner/nurse-a". */
  acknowledgedBy: string | null;
  /** Her name as the acknowledgment record says ("Riley Chen, RN (Ward A)"), when known. */
  acknowledgedByName?: string | null;
  /** Acknowledged on another workstation: learned from the server's record, not done here. */
  acknowledgedElsewhere?: boolean;
  /** Resolved on another workstation. */
  resolvedElsewhere?: boolean;
  /** Optional read-back note given at acknowledgment. */
  ackNote: string | null;
  escalatedAt: string | null;
  /** 0 = never escalated; +1 for each re-notification after the acknowledgment deadline. */
  escalationLevel: number;
  /** Critical and not yet acknowledged: the deadline (receivedAt + ack timeout) before escalation. */
  ackDueAt: string | null;
  /** occurredAt + the 30-minute critical-result target; compare with now for "time since result". */
  targetDueAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Critical and not acknowledged (new, seen or escalated): keep at the top of the feed. */
  pinned: boolean;
  writeback: {
    state: WritebackState;
    /** Last failure, shown to the user while retrying. */
    error: string | null;
    /** Server reference of the written Communication, e.g. "Communication/12". */
    reference: string | null;
  };
}

export interface RulesStatus {
  /** The rules file in use (null for built-in test rules). */
  path: string | null;
  loadedAt: string | null;
  thresholdCount: number;
  /** "DEMO DEFAULTS ... NOT clinical advice" from the file. */
  notice: string;
  /** Why the last reload was refused (the previous rules stay active), else null. */
  lastError: string | null;
}

export interface AlertingStatus {
  /** Critical alerts not yet acknowledged (new, seen or escalated): the tray/badge count. */
  unacknowledgedCritical: number;
  escalated: number;
  ackTimeoutMinutes: number;
  targetMinutes: number;
  rules: RulesStatus;
  writeback: { pending: number; failed: number; lastError: string | null };
  /**
   * The deployment's escalation policy (docs/deployment.md): the steps and the fail-safe contact list
   * shown on screen when nobody answered. Null: escalation re-notifies this screen only.
   */
  escalationPolicy?: EscalationPolicyView | null;
}

export interface EscalationPolicyView {
  steps: Array<{ role: string; afterMinutes: number }>;
  failSafeContacts: Array<{ name: string; phone: string }>;
}

export interface AuditExport {
  /** Where the host wrote the CSV (null if it could not). */
  path: string | null;
  rows: number;
  csv: string;
}
