// When may the user acknowledge the alert open in the detail, and what to say when not? Pure, so the
// rules are tested without a browser: nothing is acted on while the host or the FHIR server cannot be
// reached, and a critical must have been opened (recorded by the host) first.
import type { AlertSummary, HealthSnapshot } from '../../src-main/shared/api.ts';
import type { HostLink } from '../api/bridge.ts';
import { isOpen } from './feed-model.ts';

export interface AckContext {
  hostLink: HostLink;
  signedIn: boolean;
  health: HealthSnapshot | undefined;
  /** The host recorded that this user opened the alert (this page, or seen by the same user before). */
  opened: boolean;
}

/** Signed in, with subscriptions, none of them live and some failing: the server cannot be reached. */
export function serverUnreachable(health: HealthSnapshot | undefined): boolean {
  const subs = health?.subscriptions ?? [];
  if (subs.length === 0) return false;
  return (
    !subs.some((s) => s.connection === 'live') &&
    subs.some(
      (s) => s.connection === 'reconnecting' || s.connection === 'degraded' || s.connection === 'stopped',
    )
  );
}

/** Why Acknowledge is disabled for this alert, or null when it may be pressed. */
export function ackBlocked(alert: AlertSummary, context: AckContext): string | null {
  if (context.hostLink !== 'open')
    return 'The monitor host is not reachable: nothing can be recorded until it is back.';
  if (!context.signedIn) return 'Signed out: sign in to acknowledge.';
  if (serverUnreachable(context.health))
    return 'The FHIR server is not reachable: alerts are not being received. Acknowledge by phone now and record it here when the connection is back.';
  if (!isOpen(alert)) return 'Already acknowledged.';
  if (alert.tier === 'critical' && !context.opened) return 'Recording that you opened this result…';
  return null;
}

/** The patient reference sent with an acknowledgment, when it is one the host can compare (relative). */
export function shownPatient(alert: AlertSummary): string | undefined {
  const reference = alert.patient?.reference;
  return reference && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(reference) ? reference : undefined;
}

/**
 * What to tell the user when the host answered without recording the acknowledgment and without a
 * refusal (a refusal comes as ActionRefusedError, in the host's words: api/refusal.ts).
 */
export function unrecordedText(answer: AlertSummary | null): string {
  if (!answer) return 'Not recorded: the monitor host has no signed-in session or no longer has this alert.';
  return `Not recorded: the alert cannot be acknowledged as it is now (${answer.state}).`;
}

/** The user's own look counts: the host saw this user open it, or this page did since the link opened. */
export function openedBy(alert: AlertSummary, me: string | null, openedHere: boolean): boolean {
  return openedHere || (Boolean(alert.lifecycle?.seenAt) && alert.lifecycle?.seenBy === me && me !== null);
}
