// Who may act on alerts (docs/architecture.md, "Workstations"): the session the closed loop acts as, and
// the access policy the service gives alerting.ts — every action is re-checked against the server
// with the acting user's token before anything changes.
import { ApiRefusedError, type AlertSummary } from '../../shared/api.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { StepIssuer } from './escalation-steps.ts';

export interface AlertingSession {
  fhirBase: string;
  fhirUser: string | null;
  access: FhirAccess;
  /** Her name ("Riley Chen, RN (Ward A)"): recorded with her acknowledgment for other screens. */
  display?: string | null;
  /** Her active PractitionerRoles, read once at sign-in: an escalation step addressed to one is hers. */
  practitionerRoles?: readonly string[];
}

/** The outcome of asking whether the signed-in user may act on one alert. */
export type ActionDecision =
  { allowed: true; actor: AlertingSession } | { allowed: false; refusal: ApiRefusedError };

/** Which audit rows an export may contain: one owner's alerts (optionally fewer) and the reader's own. */
export interface AuditReader {
  owner: string;
  /** The reader's fhirUser: their own rows that name no alert (e.g. an earlier export). */
  actor: string | null;
  /** Narrows the owner's alerts further (a ward's alerts to those the reader was shown). */
  includes?(alertId: string): boolean;
}

/** Who may do what with the workstation's alerts (the service's workstation mode decides). */
export interface AlertAccess {
  /**
   * The identity whose alerts this screen shows in full now (the signed-in user's, or the ward's):
   * its escalations are worded, its criticals are the count. Null: nobody's.
   */
  watchedOwner(): string | null;
  /** May the signed-in user act on this alert? Asks the server (a read of the alert's focus). */
  authorize(alert: AlertSummary): Promise<ActionDecision>;
  /** Whose audit the signed-in user may export; a refusal when nobody is signed in. */
  auditReader(): AuditReader | ApiRefusedError;
  /**
   * A session that may write this alert's next escalation step now (the ward identity for a ward's
   * alert, else the signed-in owner's); null when this workstation cannot (another will). Absent: the
   * signed-in session.
   */
  issuer?(alert: AlertSummary): StepIssuer | null;
  /** A ward's shared screen: steps addressed to the ward's team are told here. */
  wardScreen?: boolean;
}

export const SIGN_IN_TO_ACT = new ApiRefusedError('sign-in-required', 'Sign in to act on alerts.');

/**
 * An alert this user has no alert of her own under: received for someone else, or never received.
 * One answer for both, so that trying ids tells nobody which alerts this workstation holds.
 */
export const NOT_RECEIVED_FOR_YOU = new ApiRefusedError(
  'not-permitted',
  'Not permitted: this alert was not received for you.',
);

/**
 * The single-user policy (tests, tools): whoever is signed in acts on every alert, exports every row,
 * and every open critical escalates. The app always gives the service's workstation policy instead.
 */
export function sessionOnlyAccess(current: () => AlertingSession | null): AlertAccess {
  return {
    watchedOwner: () => null,
    authorize: async () => {
      const actor = current();
      return actor ? { allowed: true, actor } : { allowed: false, refusal: SIGN_IN_TO_ACT };
    },
    auditReader: () => {
      const actor = current();
      return actor ? { owner: '*', actor: actor.fhirUser } : SIGN_IN_TO_ACT;
    },
  };
}
