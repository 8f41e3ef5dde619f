// What a screen reader hears when criticals arrive: each new critical once, pushed on its own; and when
// a burst (a catch-up after sign-in or an outage) reaches the page as one `feed-changed` push instead of
// one push per alert, one sentence that counts the burst's new criticals and names the newest. Never
// the criticals the page showed already, and never one twice. Pure apart from the set of ids it
// remembers; unit-tested (test/renderer/announcements.test.ts).
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { identityText } from './identity.ts';

/** Criticals already announced (or on the page before a burst): each is spoken at most once. */
export type Announced = Set<string>;

const isNewCritical = (alert: AlertSummary) => alert.tier === 'critical' && alert.state === 'new';

/** "Potassium 6.8 mmol/L, Ravi Rossi · MRN PT-0007, Ward A bed 3". */
function resultLine(alert: AlertSummary): string {
  return `${readableUnits(alert.headline)}, ${identityText(alert.patient)}${alert.location ? `, ${alert.location}` : ''}`;
}

/** A pushed alert: its sentence when it is a new critical not yet announced, else null. */
export function pushedCriticalAnnouncement(alert: AlertSummary, announced: Announced): string | null {
  if (!isNewCritical(alert) || announced.has(alert.id)) return null;
  announced.add(alert.id);
  return `New critical result: ${resultLine(alert)}`;
}

/**
 * After a burst: the new criticals in `after` (newest first) that were not on the page `before` it and
 * not announced yet, as one sentence. `more` says the feed holds older rows than it loaded, so the
 * count is a lower bound.
 */
export function burstAnnouncement(
  before: ReadonlySet<string>,
  after: readonly AlertSummary[],
  announced: Announced,
  more: boolean,
): string | null {
  const arrived = after.filter((a) => isNewCritical(a) && !before.has(a.id) && !announced.has(a.id));
  const newest = arrived[0];
  if (!newest) return null;
  for (const alert of arrived) announced.add(alert.id);
  if (arrived.length === 1) return `New critical result: ${resultLine(newest)}`;
  const count = `${arrived.length}${more ? ' or more' : ''}`;
  return `${count} new critical results arrived together. Newest: ${resultLine(newest)}`;
}
