// The pharmacist's verification worklist (docs/pharmacy.md) (part of the renderer <-> host contract in api.ts, which re-exports it; docs/architecture.md).
import type { FhirResource, ResourceStatus } from './api-resources.ts';

/** What the signed-in identity is (its PractitionerRole, or the server's answer); null when unknown. */
export type UserRole = 'nurse' | 'pharmacist';

export type OrderPriority = 'stat' | 'asap' | 'urgent' | 'routine';

/** Verification targets in minutes per priority (deployment configuration; asap counts as urgent). */
export interface VerificationTargets {
  stat: number;
  urgent: number;
  routine: number;
}

/**
 * The prescriber's answer to a clarification request: a Communication in response to one this app sent
 * for the order (docs/pharmacy.md, "The prescriber's answer").
 */
export interface PrescriberAnswer {
  /** `Communication/<id>` on the server. */
  reference: string;
  /** The answer's words (its payload), bounded. */
  text: string;
  /** When it was sent (`sent`, else when the server stored it); null when the record names neither. */
  at: string | null;
  /** Who answered, in words (the sender's display, else its reference). */
  by: string | null;
}

/** One order awaiting verification. */
export interface WorklistItem {
  /** `MedicationRequest/<id>`. */
  order: string;
  /** The full drug name, never shortened. */
  medication: string;
  /** Dose, route and timing in words ("40 mg subcutaneous once daily"); null when the order has none. */
  dosage: string | null;
  priority: OrderPriority;
  /** Who the order is for: the name, and the MRN and date of birth that tell two of one name apart. */
  patient: { reference: string; name: string | null; mrn: string | null; birthDate: string | null } | null;
  /** The ward label of the order, e.g. "ward-a". */
  ward: string | null;
  /** The prescriber (requester) in words. */
  prescriber: string | null;
  /**
   * When the order started waiting (authoredOn, or when the server stored it if that is later), or
   * when the prescriber answered the clarification request it was held for.
   */
  waitingSince: string;
  targetMinutes: number;
  /** waitingSince + the target. */
  dueAt: string;
  /** The prescriber's answer to the latest question about this order, when there is one; else null. */
  answer: PrescriberAnswer | null;
}

export interface WorklistView {
  status: ResourceStatus;
  message: string | null;
  /** stat → urgent → routine, longest waiting first within each. */
  items: WorklistItem[];
  /**
   * Orders on hold until the prescriber answers a clarification request. An answered one is back in
   * `items`, with its answer, waiting from the answer's time.
   */
  awaitingClarification: WorklistItem[];
  /** Every ward that has an order in the lists (the ward filter's choices). */
  wards: string[];
  targets: VerificationTargets;
  at: string;
}

/** One measured value shown in the review (weight, kidney function, a relevant lab). */
export interface ReviewValue {
  label: string;
  reference: string;
  value: number | null;
  unit: string | null;
  at: string | null;
  interpretation: string | null;
}

export type OrderFlagKind = 'allergy' | 'duplicate' | 'interaction' | 'renal' | 'lab';

/** A problem a check found; verifying anyway needs an override reason for each. */
export interface OrderFlag {
  /** Stable per order and rule: `<rule id>` or `<rule id>:<other order id>`. */
  id: string;
  kind: OrderFlagKind;
  severity: 'moderate' | 'high';
  text: string;
  /** What in the record raised it ("Penicillin allergy: anaphylaxis, criticality high"). */
  detail: string;
  /** When the value that raised it was taken (ISO), shown in the reader's time zone; null for none. */
  at: string | null;
  /** Where the rule comes from (order-checks.json `source`). */
  source: string;
  /** The other records involved (an allergy, another order, a lab result). */
  implicated: string[];
}

export interface ReviewAllergy {
  reference: string;
  substance: string;
  reaction: string | null;
  criticality: string | null;
  clinicalStatus: string | null;
}

export interface ReviewMedication {
  reference: string;
  medication: string;
  dosage: string | null;
  priority: OrderPriority;
  /** Whether a completed verification Task exists for it. */
  verified: boolean;
}

export type OrderDecision = 'verify' | 'reject' | 'clarify';

/** A decision recorded on this workstation and its write to the server. */
export interface OrderDecisionState {
  decision: OrderDecision;
  at: string;
  by: string;
  /** pending (queued, retried until the server accepts it), done, or failed-and-retrying. */
  state: 'pending' | 'done' | 'failed';
  error: string | null;
  /** The rejection's reason or the question to the prescriber, when this workstation has it. */
  reason: string | null;
}

export interface OrderReview {
  status: ResourceStatus;
  message: string | null;
  item: WorklistItem | null;
  /** The order as the server has it (the whole order). */
  order: FhirResource | null;
  patient: {
    reference: string;
    name: string | null;
    /** Medical record number, or null when the record names none. */
    mrn: string | null;
    gender: string | null;
    birthDate: string | null;
    /** Whole years at the time of the review. */
    age: number | null;
    weight: ReviewValue | null;
    /** The newest body height (for the clearance's adjusted body weight); null when none is recorded. */
    height: ReviewValue | null;
    egfr: ReviewValue | null;
    creatinine: ReviewValue | null;
    /** Creatinine clearance by Cockcroft–Gault (mL/min) from these values; null when one is missing. */
    crcl: ReviewValue | null;
    /** The clearance used the adjusted body weight: above 120 % of the ideal for the height. */
    crclAdjusted: boolean;
  } | null;
  /** The labs that matter for this drug (order-checks.json `labs`), latest first. */
  labs: ReviewValue[];
  allergies: ReviewAllergy[];
  /** The patient's other active orders. */
  activeMedications: ReviewMedication[];
  flags: OrderFlag[];
  /** Every answer of the prescriber to a clarification request about this order, oldest first. */
  answers: PrescriberAnswer[];
  /** The decision already made here or on the server, else null. */
  decision: OrderDecisionState | null;
  /** "DEMO DEFAULTS … NOT clinical advice" from the order-checks file. */
  checksNotice: string;
}

export interface OrderDecisionResult {
  accepted: boolean;
  /** Why a decision was refused (a missing override reason), or what happens next. */
  message: string;
  decision: OrderDecisionState | null;
}

export interface OrderChecksStatus {
  path: string | null;
  loadedAt: string | null;
  checkCount: number;
  notice: string;
  lastError: string | null;
}
