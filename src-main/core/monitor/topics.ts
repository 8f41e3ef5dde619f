// Topic canonicals the embedded server offers and the app subscribes to by default.
export const TOPIC_BASE = 'http://alert-monitor.local/fhir/SubscriptionTopic';
export const CRITICAL_LAB_TOPIC = `${TOPIC_BASE}/critical-lab-result`;
export const MEDICATION_ORDER_TOPIC = `${TOPIC_BASE}/new-medication-order`;
export const ENCOUNTER_TOPIC = `${TOPIC_BASE}/encounter-admit-transfer-discharge`;
export const DIAGNOSTIC_REPORT_TOPIC = `${TOPIC_BASE}/final-diagnostic-report`;
