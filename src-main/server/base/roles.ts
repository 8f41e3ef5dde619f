// THE scope policy: what each role may ever be granted, whoever asks and whatever a client requests.
// Every demo user (demo-users.ts) and every Backend Services registration (auth/clients.ts) has one of
// these roles; the authorization server intersects the requested scopes with the role's ceiling (and a
// registration's own `allowedScopes`), shows the result on the consent page and grants exactly that.
// The per-role policy in words is in docs/auth.md ("Roles"); keep the two in step.
//
// To extend: add a type to a write list below (as `Task.cru?code=…` for nurses) once the server supports
// the type (base/types.ts RESOURCE_TYPES, base/validate.ts, store/search-params.ts); add a role with a
// new entry; add a person in demo-users.ts. Ward labels come from the user or registration, not from here.
import { ADMINISTRATIVE_TYPES } from './types.ts';

export const ROLE_NAMES = [
  'nurse',
  'charge-nurse',
  'pharmacist',
  'ward-display',
  'monitor',
  'admin',
  'clinical-feed',
  'ward-workstation',
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export function isRoleName(value: unknown): value is RoleName {
  return typeof value === 'string' && (ROLE_NAMES as readonly string[]).includes(value);
}

export interface RolePolicy {
  /** The role in words (consent page, logs, docs). */
  title: string;
  /**
   * The most this role can hold: SMART v2 scope bodies without their context (`Type.perms[?query]`),
   * applied to `user/` scopes for people and to `system/` scopes for Backend Services clients.
   */
  ceiling: readonly string[];
  /** How many ward labels an identity with this role must hold (a ward display reads exactly one). */
  wards: { min: number; max: number };
}

/** Everything the caller's wards let it see: clinical data, the directory, topics, its own subscriptions. */
const READ_WITHIN_WARDS = '*.rs';
const OWN_SUBSCRIPTIONS = 'Subscription.cruds';
/**
 * An escalation step of the closed loop (docs/alerting.md): a Task with this code, and only such a Task.
 * The monitor of whoever is on duty issues the next step when nobody acknowledged in time.
 */
const ESCALATION_TASK =
  'Task.cru?code=http://alert-monitor.local/fhir/CodeSystem/closed-loop|critical-result-escalation';
const ISSUE_ESCALATION =
  'Task.c?code=http://alert-monitor.local/fhir/CodeSystem/closed-loop|critical-result-escalation';
/**
 * What a nurse writes when she acts on an alert: the acknowledgment and resolution record
 * (Communication), and escalation steps (issue one, accept or decline one addressed to her).
 */
const ACKNOWLEDGMENT_WRITES = ['Communication.cru', ESCALATION_TASK];
/** A pharmacist's verification of a medication order (docs/pharmacy.md): a Task with this code only. */
const VERIFY_TASK = 'Task.cru?code=http://alert-monitor.local/fhir/CodeSystem/task-code|verify';
/**
 * What a pharmacist writes when verifying an order (docs/pharmacy.md): the verification `Task`, a
 * `DetectedIssue` per flagged problem, a `Communication` to the prescriber. Only this role holds verify
 * Tasks and DetectedIssue writes; fhir/ward-rules.ts adds that they must concern an order it can see.
 */
const ORDER_VERIFICATION_WRITES = ['Communication.cru', VERIFY_TASK, 'DetectedIssue.cru'];
/** What the laboratory, ADT and pharmacy interfaces send (what the ward simulator stands for). */
const CLINICAL_FEED_WRITES = [
  'Patient',
  'Encounter',
  'Observation',
  'DiagnosticReport',
  'MedicationRequest',
  'AllergyIntolerance',
].map((type) => `${type}.cud`);
const ANY_NUMBER = Number.POSITIVE_INFINITY;

export const ROLE_POLICIES: Readonly<Record<RoleName, RolePolicy>> = {
  nurse: {
    title: 'Nurse',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS, ...ACKNOWLEDGMENT_WRITES],
    wards: { min: 1, max: ANY_NUMBER },
  },
  'charge-nurse': {
    title: 'Charge nurse',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS, ...ACKNOWLEDGMENT_WRITES],
    wards: { min: 1, max: ANY_NUMBER },
  },
  pharmacist: {
    title: 'Pharmacist',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS, ...ORDER_VERIFICATION_WRITES],
    wards: { min: 1, max: ANY_NUMBER },
  },
  'ward-display': {
    title: 'Ward display',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS],
    wards: { min: 1, max: 1 },
  },
  monitor: {
    title: 'Headless monitor',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS],
    wards: { min: 1, max: ANY_NUMBER },
  },
  admin: {
    title: 'Administrator',
    // The directory only: no ward labels, no clinical data, no subscriptions.
    ceiling: [...ADMINISTRATIVE_TYPES.map((type) => `${type}.cruds`), 'Basic.rs'],
    wards: { min: 0, max: 0 },
  },
  'clinical-feed': {
    title: 'Clinical data feed',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS, ...CLINICAL_FEED_WRITES],
    wards: { min: 1, max: ANY_NUMBER },
  },
  // A ward's shared screen that keeps watching while nobody is signed in: besides reading, it may issue
  // the next escalation step of an unacknowledged critical, so escalation never waits for a sign-in.
  // It never acknowledges, accepts or declines: those need a person's own token.
  'ward-workstation': {
    title: 'Ward workstation',
    ceiling: [READ_WITHIN_WARDS, OWN_SUBSCRIPTIONS, ISSUE_ESCALATION],
    wards: { min: 1, max: 1 },
  },
};

/** Why `wards` do not fit `role` (for a configuration error), or null when they do. */
export function wardsProblem(role: RoleName, wards: readonly string[]): string | null {
  const { min, max } = ROLE_POLICIES[role].wards;
  if (wards.length < min || wards.length > max) {
    const wanted = min === max ? `exactly ${min}` : max === ANY_NUMBER ? `at least ${min}` : `${min}–${max}`;
    return `a ${ROLE_POLICIES[role].title.toLowerCase()} holds ${wanted} ward label(s), got ${wards.length}`;
  }
  return null;
}
