// Topic canonicals the app subscribes to by default, per role. These are the embedded server's topics;
// a hospital server advertises its own (discovered at sign-in, see topic-discovery.ts), and any topic
// the server does not offer is reported, not silently skipped.
import type { TopicRequest } from '../ports.ts';

export const TOPIC_BASE = 'http://alert-monitor.local/fhir/SubscriptionTopic';
export const CRITICAL_LAB_TOPIC = `${TOPIC_BASE}/critical-lab-result`;
export const MEDICATION_ORDER_TOPIC = `${TOPIC_BASE}/medication-order`;
export const ENCOUNTER_ADMIT_TOPIC = `${TOPIC_BASE}/encounter-admit`;
export const ENCOUNTER_TRANSFER_TOPIC = `${TOPIC_BASE}/encounter-transfer`;
export const ENCOUNTER_DISCHARGE_TOPIC = `${TOPIC_BASE}/encounter-discharge`;

const ROLE_TOPICS: Record<'nurse' | 'pharmacist', readonly string[]> = {
  // Charge nurse: critical results for the ward, and the ward's admissions, transfers and discharges.
  nurse: [CRITICAL_LAB_TOPIC, ENCOUNTER_ADMIT_TOPIC, ENCOUNTER_TRANSFER_TOPIC, ENCOUNTER_DISCHARGE_TOPIC],
  // Pharmacist: new medication orders (the verification queue) and critical results that change dosing.
  pharmacist: [MEDICATION_ORDER_TOPIC, CRITICAL_LAB_TOPIC],
};

export function topicsForRole(role: 'nurse' | 'pharmacist', heartbeatSeconds = 10): TopicRequest[] {
  return ROLE_TOPICS[role].map((topic) => ({ topic, filters: [], heartbeatSeconds }));
}
