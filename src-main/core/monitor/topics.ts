// Topic canonicals the app subscribes to by default, per role. These are the embedded server's topics;
// a hospital server advertises its own (discovered at sign-in, see topic-discovery.ts), and any topic
// the server does not offer is reported, not silently skipped.
import type { TopicRequest } from '../ports.ts';
import {
  ACKNOWLEDGED_TOPIC,
  CLARIFICATION_ANSWERED_TOPIC,
  ESCALATION_TOPIC,
  ORDER_VERIFICATION_TOPIC,
} from '../store/alert-sharing.ts';
import { RESULT_REPORT_TOPIC } from '../store/result-news.ts';

export {
  ACKNOWLEDGED_TOPIC,
  CLARIFICATION_ANSWERED_TOPIC,
  ESCALATION_TOPIC,
  ORDER_VERIFICATION_TOPIC,
} from '../store/alert-sharing.ts';
export { RESULT_REPORT_TOPIC } from '../store/result-news.ts';

export const TOPIC_BASE = 'http://alert-monitor.local/fhir/SubscriptionTopic';
export const CRITICAL_LAB_TOPIC = `${TOPIC_BASE}/critical-lab-result`;
export const MEDICATION_ORDER_TOPIC = `${TOPIC_BASE}/medication-order`;
export const ENCOUNTER_ADMIT_TOPIC = `${TOPIC_BASE}/encounter-admit`;
export const ENCOUNTER_TRANSFER_TOPIC = `${TOPIC_BASE}/encounter-transfer`;
export const ENCOUNTER_DISCHARGE_TOPIC = `${TOPIC_BASE}/encounter-discharge`;

/**
 * Topics whose news the screen also re-reads on a timer, so a stopped subscription for one of them (a
 * server that cannot offer it: Medplum has no search for a transfer) does not stop alerts: the ward
 * board re-reads encounters every 30 s, an open critical's trend is re-read every 30 s while no report
 * subscription is live, the worklist (decisions and prescribers' answers) every 20 s. Their state is
 * shown in health, not as "Alerts stopped". Critical results, stat orders, acknowledgments made
 * elsewhere and escalation steps have no other way in.
 */
export const REREAD_TOPICS: ReadonlySet<string> = new Set([
  ENCOUNTER_ADMIT_TOPIC,
  ENCOUNTER_TRANSFER_TOPIC,
  ENCOUNTER_DISCHARGE_TOPIC,
  RESULT_REPORT_TOPIC,
  ORDER_VERIFICATION_TOPIC,
  CLARIFICATION_ANSWERED_TOPIC,
]);

const ROLE_TOPICS: Record<'nurse' | 'pharmacist', readonly string[]> = {
  // Charge nurse: critical results for the ward, and the ward's admissions, transfers and discharges;
  // the closed loop across workstations: acknowledgments made elsewhere, escalation steps; final lab
  // reports, which are no alerts but tell the open criticals of a later normal result (result-news.ts).
  nurse: [
    CRITICAL_LAB_TOPIC,
    ENCOUNTER_ADMIT_TOPIC,
    ENCOUNTER_TRANSFER_TOPIC,
    ENCOUNTER_DISCHARGE_TOPIC,
    ACKNOWLEDGED_TOPIC,
    ESCALATION_TOPIC,
    RESULT_REPORT_TOPIC,
  ],
  // Pharmacist: stat orders (they interrupt; the worklist itself is a search, docs/pharmacy.md),
  // critical results that change dosing (one acknowledged elsewhere clears here too), and
  // verification decisions made on other workstations; prescribers' answers to questions about held
  // orders (the worklist searches again at once); final lab reports (later results).
  pharmacist: [
    MEDICATION_ORDER_TOPIC,
    CRITICAL_LAB_TOPIC,
    ACKNOWLEDGED_TOPIC,
    ORDER_VERIFICATION_TOPIC,
    CLARIFICATION_ANSWERED_TOPIC,
    RESULT_REPORT_TOPIC,
  ],
};

/** Filters per role and topic: a pharmacist is alerted to stat orders only; the rest wait in the worklist. */
const ROLE_FILTERS: Partial<Record<'nurse' | 'pharmacist', Record<string, string[]>>> = {
  pharmacist: { [MEDICATION_ORDER_TOPIC]: ['MedicationRequest?priority=stat'] },
};

/** The topics of a role; `any` (the role not yet known) is the nurse's. */
export function topicsForRole(role: 'nurse' | 'pharmacist' | 'any', heartbeatSeconds = 10): TopicRequest[] {
  const known = role === 'any' ? 'nurse' : role;
  return ROLE_TOPICS[known].map((topic) => ({
    topic,
    filters: ROLE_FILTERS[known]?.[topic] ?? [],
    heartbeatSeconds,
  }));
}

/**
 * A topic as a plain R4 search, for servers that advertise no SubscriptionTopic (Medplum): the
 * Subscription's `criteria` is then a search whose matches are notified, and the same search finds
 * what was missed (`_lastUpdated`). Classification stays with the rules (a laboratory result is an
 * alert only when it is critical). Null where no search expresses the topic; the reason is shown.
 */
export const SEARCH_CRITERIA: Readonly<Record<string, { criteria: string } | { none: string }>> = {
  [CRITICAL_LAB_TOPIC]: { criteria: 'Observation?category=laboratory' },
  [MEDICATION_ORDER_TOPIC]: { criteria: 'MedicationRequest?status=active' },
  // Any change to an in-progress encounter (admission, a transfer) is news about that encounter's alert.
  [ENCOUNTER_ADMIT_TOPIC]: { criteria: 'Encounter?status=in-progress' },
  [ENCOUNTER_DISCHARGE_TOPIC]: { criteria: 'Encounter?status=finished' },
  [ENCOUNTER_TRANSFER_TOPIC]: {
    none: 'a transfer (a change of location) is not a search; in-progress encounter changes arrive with admissions',
  },
  // Final laboratory reports: news for the later-result check, never alerts.
  [RESULT_REPORT_TOPIC]: { criteria: 'DiagnosticReport?status=final' },
  // The closed loop: acknowledgment and resolution records are alert Communications (the identifier
  // tells them apart when read); escalation steps are Tasks with the escalation code.
  [ACKNOWLEDGED_TOPIC]: {
    criteria: 'Communication?category=http://terminology.hl7.org/CodeSystem/communication-category|alert',
  },
  [ESCALATION_TOPIC]: {
    criteria: 'Task?code=http://alert-monitor.local/fhir/CodeSystem/closed-loop|critical-result-escalation',
  },
  // A pharmacist's decision: the verification Task (its status tells the decision when read).
  [ORDER_VERIFICATION_TOPIC]: {
    criteria: 'Task?code=http://alert-monitor.local/fhir/CodeSystem/task-code|verify',
  },
  [CLARIFICATION_ANSWERED_TOPIC]: {
    none: 'an answer is a Communication in response to another (inResponseTo), which no R4 search parameter selects; the worklist searches for answers every 20 s',
  },
};
