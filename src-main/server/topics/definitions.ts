// The subscription topics this server offers. Defined in code (they are part of the server's behaviour,
// not data a client may change) and served R4-style as Basic-wrapped SubscriptionTopics.
import type { Interaction } from '../store/resources.ts';

export const TOPIC_BASE = 'http://alert-monitor.local/fhir/SubscriptionTopic';

export interface QueryCriteria {
  previous?: string;
  resultForCreate?: 'test-passes' | 'test-fails';
  current?: string;
  resultForDelete?: 'test-passes' | 'test-fails';
  requireBoth?: boolean;
}

export interface TopicTrigger {
  description: string;
  resource: string;
  supportedInteraction: Interaction[];
  queryCriteria?: QueryCriteria;
  /** FHIRPath over %previous and %current (empty when absent). */
  fhirPathCriteria?: string;
}

export interface TopicFilter {
  resource: string;
  filterParameter: string;
  description: string;
}

export interface TopicDefinition {
  /** Id of the Basic resource that wraps the topic. */
  id: string;
  url: string;
  name: string;
  title: string;
  description: string;
  triggers: TopicTrigger[];
  canFilterBy: TopicFilter[];
}

const CRITICAL = "coding.where(code = 'HH' or code = 'LL' or code = 'AA' or code = 'critical').exists()";
const LAB =
  "%current.category.coding.where(system = 'http://terminology.hl7.org/CodeSystem/observation-category' and code = 'laboratory').exists()";

const filters = (resource: string, params: string[]): TopicFilter[] =>
  params.map((filterParameter) => ({
    resource,
    filterParameter,
    description: `${resource} search parameter '${filterParameter}'`,
  }));

export const CRITICAL_LAB_TOPIC = `${TOPIC_BASE}/critical-lab-result`;
export const ORDER_VERIFICATION_TOPIC = `${TOPIC_BASE}/order-verification`;
export const CLARIFICATION_ANSWERED_TOPIC = `${TOPIC_BASE}/order-clarification-answered`;
/** The code of a pharmacist's verification Task (docs/pharmacy.md, "FHIR mapping"). */
export const VERIFY_TASK_CODE = "coding.where(code = 'verify').exists()";

/**
 * The closed loop across workstations (docs/alerting.md, "FHIR mapping"): the acknowledgment and the
 * resolution of a critical result are Communications with these identifier systems; an escalation step
 * is a Task with this code. The monitor writes them; these topics tell every other monitor.
 */
export const ACKNOWLEDGMENT_IDENTIFIER = 'urn:alert-monitor:acknowledgment';
export const RESOLUTION_IDENTIFIER = 'urn:alert-monitor:resolution';
export const CLOSED_LOOP_CODES = 'http://alert-monitor.local/fhir/CodeSystem/closed-loop';
export const ESCALATION_CODE = 'critical-result-escalation';
export const ACKNOWLEDGED_TOPIC = `${TOPIC_BASE}/critical-result-acknowledged`;
export const ESCALATION_TOPIC = `${TOPIC_BASE}/critical-result-escalation`;

export const TOPICS: readonly TopicDefinition[] = [
  {
    id: 'topic-critical-lab-result',
    url: CRITICAL_LAB_TOPIC,
    name: 'CriticalLabResult',
    title: 'Critical laboratory result',
    description:
      'A laboratory Observation is created or updated with a critical interpretation (HH, LL, AA or critical); ' +
      'an update fires again only when it becomes critical or its value changes.',
    triggers: [
      {
        description: 'Laboratory Observation with a critical interpretation',
        resource: 'Observation',
        supportedInteraction: ['create', 'update'],
        fhirPathCriteria:
          `${LAB} and %current.interpretation.${CRITICAL} and ` +
          "(%current.status = 'preliminary' or %current.status = 'final' or %current.status = 'amended' or %current.status = 'corrected') and " +
          `(%previous.empty() or %previous.interpretation.${CRITICAL}.not() or ` +
          '%previous.valueQuantity.value != %current.valueQuantity.value)',
      },
    ],
    canFilterBy: filters('Observation', ['patient', 'location', 'code']),
  },
  {
    id: 'topic-medication-order',
    url: `${TOPIC_BASE}/medication-order`,
    name: 'NewMedicationOrder',
    title: 'New medication order',
    description: 'A MedicationRequest is created as an active order.',
    triggers: [
      {
        description: 'Active MedicationRequest order created',
        resource: 'MedicationRequest',
        supportedInteraction: ['create'],
        queryCriteria: {
          resultForCreate: 'test-passes',
          current: 'status=active&intent=order',
          requireBoth: true,
        },
      },
    ],
    canFilterBy: filters('MedicationRequest', ['patient', 'location', 'code', 'priority']),
  },
  {
    id: 'topic-order-verification',
    url: ORDER_VERIFICATION_TOPIC,
    name: 'OrderVerification',
    title: 'Medication order verification decided',
    description:
      "A pharmacist's verification Task (code verify, focus = the MedicationRequest) is created or changes " +
      'status: every pharmacist workstation drops the decided order from its worklist.',
    triggers: [
      {
        description: 'Verification Task created or its status changed',
        resource: 'Task',
        supportedInteraction: ['create', 'update'],
        fhirPathCriteria:
          `%current.code.${VERIFY_TASK_CODE} and ` +
          '(%previous.empty() or %previous.status != %current.status)',
      },
    ],
    canFilterBy: filters('Task', ['patient', 'location', 'focus']),
  },
  {
    id: 'topic-order-clarification-answered',
    url: CLARIFICATION_ANSWERED_TOPIC,
    name: 'OrderClarificationAnswered',
    title: "A prescriber answered a pharmacist's question about an order",
    description:
      'A Communication in response to another (inResponseTo) about a MedicationRequest is created: the ' +
      "prescriber's answer to a clarification request, which brings the held order back to every " +
      "pharmacist's worklist (docs/pharmacy.md).",
    triggers: [
      {
        description: 'Answer created',
        resource: 'Communication',
        supportedInteraction: ['create'],
        fhirPathCriteria:
          "%current.inResponseTo.exists() and %current.about.where(reference.startsWith('MedicationRequest/')).exists()",
      },
    ],
    canFilterBy: filters('Communication', ['patient', 'location']),
  },
  {
    id: 'topic-encounter-admit',
    url: `${TOPIC_BASE}/encounter-admit`,
    name: 'EncounterAdmit',
    title: 'Patient admitted',
    description: 'An Encounter becomes in-progress (created in progress, or moved from planned/arrived).',
    triggers: [
      {
        description: 'Encounter status becomes in-progress',
        resource: 'Encounter',
        supportedInteraction: ['create', 'update'],
        queryCriteria: {
          previous: 'status:not=in-progress',
          resultForCreate: 'test-passes',
          current: 'status=in-progress',
          resultForDelete: 'test-fails',
          requireBoth: true,
        },
      },
    ],
    canFilterBy: filters('Encounter', ['patient', 'location']),
  },
  {
    id: 'topic-encounter-transfer',
    url: `${TOPIC_BASE}/encounter-transfer`,
    name: 'EncounterTransfer',
    title: 'Patient transferred',
    description: 'An in-progress Encounter changes its active location (bed or ward move).',
    triggers: [
      {
        description: 'Active Encounter location changed',
        resource: 'Encounter',
        supportedInteraction: ['update'],
        queryCriteria: { previous: 'status=in-progress', current: 'status=in-progress', requireBoth: true },
        fhirPathCriteria:
          "%previous.location.where(status = 'active').location.reference.first() != " +
          "%current.location.where(status = 'active').location.reference.first()",
      },
    ],
    canFilterBy: filters('Encounter', ['patient', 'location']),
  },
  {
    id: 'topic-encounter-discharge',
    url: `${TOPIC_BASE}/encounter-discharge`,
    name: 'EncounterDischarge',
    title: 'Patient discharged',
    description: 'An Encounter becomes finished.',
    triggers: [
      {
        description: 'Encounter status becomes finished',
        resource: 'Encounter',
        supportedInteraction: ['create', 'update'],
        queryCriteria: {
          previous: 'status:not=finished',
          resultForCreate: 'test-passes',
          current: 'status=finished',
          resultForDelete: 'test-fails',
          requireBoth: true,
        },
      },
    ],
    canFilterBy: filters('Encounter', ['patient', 'location']),
  },
  {
    id: 'topic-diagnostic-report-final',
    url: `${TOPIC_BASE}/diagnostic-report-final`,
    name: 'DiagnosticReportFinal',
    title: 'Final diagnostic report',
    description: 'A DiagnosticReport becomes final.',
    triggers: [
      {
        description: 'DiagnosticReport status becomes final',
        resource: 'DiagnosticReport',
        supportedInteraction: ['create', 'update'],
        queryCriteria: {
          previous: 'status:not=final',
          resultForCreate: 'test-passes',
          current: 'status=final',
          resultForDelete: 'test-fails',
          requireBoth: true,
        },
      },
    ],
    canFilterBy: filters('DiagnosticReport', ['patient', 'location', 'code']),
  },
  {
    id: 'topic-critical-result-acknowledged',
    url: ACKNOWLEDGED_TOPIC,
    name: 'CriticalResultAcknowledged',
    title: 'Critical result acknowledged or resolved',
    description:
      'A critical result was acknowledged (or resolved) on some workstation: a Communication with the ' +
      'acknowledgment or resolution identifier is created or updated.',
    triggers: [
      {
        description: 'Acknowledgment or resolution Communication written',
        resource: 'Communication',
        supportedInteraction: ['create', 'update'],
        fhirPathCriteria:
          `%current.identifier.where(system = '${ACKNOWLEDGMENT_IDENTIFIER}' or ` +
          `system = '${RESOLUTION_IDENTIFIER}').exists() and %current.status = 'completed'`,
      },
    ],
    canFilterBy: filters('Communication', ['patient', 'location']),
  },
  {
    id: 'topic-critical-result-escalation',
    url: ESCALATION_TOPIC,
    name: 'CriticalResultEscalation',
    title: 'Critical result escalated to a responder',
    description:
      'An escalation step of an unacknowledged critical result was issued to a role or team, or its ' +
      'target accepted or declined it: a Task with the escalation code is created or updated.',
    triggers: [
      {
        description: 'Escalation Task created or its status changed',
        resource: 'Task',
        supportedInteraction: ['create', 'update'],
        fhirPathCriteria:
          `%current.code.coding.where(system = '${CLOSED_LOOP_CODES}' and code = '${ESCALATION_CODE}').exists() and ` +
          '(%previous.empty() or %previous.status != %current.status)',
      },
    ],
    canFilterBy: filters('Task', ['patient', 'location', 'owner']),
  },
];

export function findTopic(url: string): TopicDefinition | undefined {
  return TOPICS.find((topic) => topic.url === url);
}
