// The one place that words an OS notification: the first alert, a result that could not be checked,
// the escalation of an unacknowledged critical (to this screen, to a person or team asked, or the
// fail-safe contact list) and the offline summary. Privacy mode (docs/alerting.md) is applied here and
// only here: a private notification names the test and the bed — where to go and what about — but no
// value and no patient, so it may show on a lock screen or a shared monitor. Otherwise the patient is
// named with the MRN (or the date of birth), never by name alone: two patients on one ward can share a name.
import type { AlertSummary } from '../../shared/api.ts';
import { readableUnits } from '../../shared/fhir-json.ts';
import type { AlertNotification } from '../ports.ts';

const SEPARATOR = ' — ';

/** "K 6.8 mmol/L > 6.2 — Ward A bed 1 — <name>": the parts that are known, in order. */
function joinKnown(parts: ReadonlyArray<string | null | undefined>): string {
  return parts.filter(Boolean).join(SEPARATOR);
}

/**
 * A result on a critical topic whose focus could not be read (possibly critical): the nurse is told
 * that a result could not be checked — never silence. It names no value (none is known) and no
 * patient, so privacy mode words it the same way.
 */
export function uncheckedNotification(alert: AlertSummary): AlertNotification {
  return {
    alertId: alert.id,
    tier: 'critical',
    title: 'A result could not be checked',
    body: 'A possibly critical lab result could not be loaded. Open Alert Monitor; check it with the laboratory if it stays unreadable.',
    kind: 'unchecked',
  };
}

/** "Ada Lovelace, MRN PT-0001" (or "born 1950-03-02" without an MRN); null when nobody is named. */
export function patientIdentity(patient: AlertSummary['patient']): string | null {
  if (!patient?.name) return null;
  if (patient.mrn) return `${patient.name}, MRN ${patient.mrn}`;
  if (patient.birthDate) return `${patient.name}, born ${patient.birthDate}`;
  return patient.name;
}

/**
 * The test of a lab result without its value: "Potassium 6.8 mmol/L" → "Potassium". Null for anything
 * that is not a lab result (an order names a medication, which privacy mode keeps off the screen).
 */
export function testName(alert: AlertSummary): string | null {
  if (alert.fetch !== 'ok' || !alert.focus.startsWith('Observation/')) return null;
  const name = alert.headline.replace(/\s+[<>≤≥]?\s*-?\d[\d.,]*(\s+\S+)?\s*$/u, '').trim();
  return name ? name.slice(0, 60) : null;
}

/** Where to go, without a name or a value: "Ward A bed 1", or the ward. */
function place(alert: AlertSummary): string | null {
  return alert.location ?? alert.ward ?? null;
}

/** What it is about without naming it: the test of a result, or that an order awaits verification. */
function privateTitle(alert: AlertSummary, word: string): string {
  const test = testName(alert);
  if (test) return `${word} result: ${test}`;
  // The pharmacist learns it is an order for her without the drug's name.
  if (alert.focus.startsWith('MedicationRequest/')) return `${word} order to verify`;
  return `${word} alert`;
}

/** The first notification of a critical (or, when configured, high) result. */
export function alertNotification(alert: AlertSummary, privacy: boolean): AlertNotification {
  if (alert.fetch !== 'ok') return uncheckedNotification(alert);
  const tier = alert.tier === 'high' ? 'high' : 'critical';
  const word = alert.tier === 'critical' ? 'Critical' : 'High-priority';
  const lead = alert.tier === 'critical' ? 'CRITICAL' : 'High priority';
  if (privacy) {
    return {
      alertId: alert.id,
      tier,
      title: privateTitle(alert, word),
      body: joinKnown([place(alert), 'Open Alert Monitor to review.']),
      kind: 'alert',
      lead,
    };
  }
  return {
    alertId: alert.id,
    tier,
    lead,
    title: `${lead}: ${readableUnits(alert.headline)}`,
    // Value and violated limit first, then the bed when known, then the patient with the MRN.
    body: joinKnown([
      readableUnits(alert.summary ?? alert.reason),
      alert.location,
      patientIdentity(alert.patient),
    ]),
    kind: 'alert',
  };
}

/** The re-notification of a critical still not acknowledged at escalation `level`. */
export function escalationNotification(
  alert: AlertSummary,
  level: number,
  privacy: boolean,
): AlertNotification {
  if (privacy) {
    const test = testName(alert);
    return {
      alertId: alert.id,
      tier: 'critical',
      title: test ? `Not acknowledged: critical ${test}` : 'Critical result not acknowledged',
      body: joinKnown([place(alert), 'Open Alert Monitor to acknowledge.']),
      kind: 'escalation',
      lead: 'NOT ACKNOWLEDGED',
    };
  }
  return {
    alertId: alert.id,
    tier: 'critical',
    lead: 'NOT ACKNOWLEDGED',
    title: `ESCALATED: ${readableUnits(alert.headline) || 'critical result'}`,
    body: joinKnown([
      `Not acknowledged (${level})`,
      alert.summary ? readableUnits(alert.summary) : null,
      alert.location,
      patientIdentity(alert.patient),
    ]),
    kind: 'escalation',
  };
}

/**
 * An escalation step addressed to this screen's person or team: "you are asked to take it". Privacy
 * mode names no value, patient or bed.
 */
export function escalationRequestNotification(
  alert: AlertSummary,
  step: number,
  privacy: boolean,
): AlertNotification {
  const title = `ESCALATED TO YOU: ${privacy ? 'critical result not acknowledged' : alert.headline || 'critical result'}`;
  const body = privacy
    ? 'Open Alert Monitor to accept or decline.'
    : joinKnown(['Not acknowledged — accept or decline', alert.summary, alert.location, alert.patient?.name]);
  return {
    alertId: alert.id,
    tier: 'critical',
    title,
    body,
    kind: 'escalation',
    step,
    lead: 'ESCALATED TO YOU',
  };
}

/**
 * Nobody answered any step: the fail-safe contact list, on every screen that holds the alert. The
 * contacts are the deployment's (names and extensions, no patient data), so privacy mode shows them too.
 */
export function failSafeNotification(
  alert: AlertSummary,
  step: number,
  contacts: ReadonlyArray<{ name: string; phone: string }>,
  privacy: boolean,
): AlertNotification {
  const call = contacts.map((c) => `${c.name} (${c.phone})`).join(', ');
  return {
    alertId: alert.id,
    tier: 'critical',
    lead: 'NOBODY HAS TAKEN IT',
    title: `NOBODY HAS TAKEN IT: ${privacy ? 'critical result' : alert.headline || 'critical result'}`,
    body: joinKnown([
      call ? `Call now: ${call}` : 'Call the fail-safe contact now',
      privacy ? null : alert.location,
    ]),
    kind: 'escalation',
    step,
  };
}

/**
 * The most criticals notified one by one at once (one batch of live results, one escalation tick, one
 * pass of the escalation chain); more are one notification that counts them, and the pinned list names
 * each. An OS notification
 * centre shows a handful stacked; hundreds raised at once bury each other and the desktop. A live
 * batch holds what arrived while the previous one was read: on a ward one or two, so no single result
 * waits for this.
 */
export const AT_ONCE_ONE_BY_ONE = 5;

/** A summary's notification: it names none of the criticals it covers. */
function summaryNotification(title: string, alertIds?: readonly string[], unchecked = 0): AlertNotification {
  return {
    alertId: null,
    tier: 'critical',
    title,
    body:
      unchecked > 0
        ? `${unchecked} of them could not be checked yet. Open Alert Monitor to review them.`
        : 'Open Alert Monitor to review them.',
    inAppBody:
      unchecked > 0
        ? `${unchecked} of them could not be checked yet. Each is in the critical list.`
        : 'Each is in the critical list.',
    kind: 'summary',
    ...(alertIds ? { alertIds: [...alertIds] } : {}),
  };
}

/**
 * One notification for many criticals that arrived while offline; it names none of them. `alertIds`
 * lists the alerts it covers (for the headless monitor's JSONL, never shown); `unchecked` of them
 * could not be read yet.
 */
export function offlineSummaryNotification(
  count: number,
  alertIds?: readonly string[],
  unchecked = 0,
): AlertNotification {
  return summaryNotification(`${count} critical results arrived while offline`, alertIds, unchecked);
}

/** One notification for many live criticals that arrived at once (a storm); it names none of them. */
export function arrivedTogetherNotification(
  count: number,
  alertIds?: readonly string[],
  unchecked = 0,
): AlertNotification {
  return summaryNotification(`${count} critical results arrived together`, alertIds, unchecked);
}

/** Many criticals escalating in one tick (a burst left unacknowledged): one re-notification for all. */
export function escalatedTogetherNotification(alertIds: readonly string[]): AlertNotification {
  return {
    alertId: null,
    tier: 'critical',
    title: `${alertIds.length} critical results not acknowledged`,
    body: 'Open Alert Monitor to acknowledge them.',
    inAppBody: 'Each is in the critical list: open it to acknowledge.',
    kind: 'escalation',
    alertIds: [...alertIds],
  };
}

/** Many escalation steps asked of this screen's person at once (a burst left unacknowledged). */
export function escalationRequestsTogetherNotification(alertIds: readonly string[]): AlertNotification {
  return {
    alertId: null,
    tier: 'critical',
    title: `ESCALATED TO YOU: ${alertIds.length} critical results not acknowledged`,
    body: 'Open Alert Monitor to accept or decline each.',
    inAppBody: 'Each is in the critical list: open it to accept or decline.',
    kind: 'escalation',
    alertIds: [...alertIds],
  };
}

/** Nobody answered for many criticals at once: the fail-safe contact list, once. */
export function failSafeTogetherNotification(
  alertIds: readonly string[],
  contacts: ReadonlyArray<{ name: string; phone: string }>,
): AlertNotification {
  const call = contacts.map((c) => `${c.name} (${c.phone})`).join(', ');
  return {
    alertId: null,
    tier: 'critical',
    title: `NOBODY HAS TAKEN IT: ${alertIds.length} critical results`,
    body: call ? `Call now: ${call}` : 'Call the fail-safe contact now',
    kind: 'escalation',
    alertIds: [...alertIds],
  };
}

/** The alerts a notification is for: its own, or those a summary covers. */
export function alertsCovered(n: AlertNotification): string[] {
  return n.alertId ? [n.alertId] : (n.alertIds ?? []);
}
