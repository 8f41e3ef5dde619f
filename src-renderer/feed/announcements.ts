// What a screen reader hears when criticals arrive: one sentence for the criticals that arrived
// together, counting them and naming the newest. Pushed criticals are gathered for a moment first
// (announcement-window.ts), and a burst (a catch-up after sign-in or an outage) that reaches the page as
// one `feed-changed` push is compared with what the page held before it. Never the criticals the page
// showed already, and never one twice. Pure apart from the set of ids it remembers; unit-tested
// (test/renderer/announcements.test.ts).
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { identityText } from './identity.ts';

/** Criticals already announced (or on the page before a burst): each is spoken at most once. */
export type Announced = Set<string>;

export const isNewCritical = (alert: AlertSummary): boolean =>
  alert.tier === 'critical' && alert.state === 'new';

/** "Potassium 6.8 mmol/L, Ravi Rossi · MRN PT-0007, Ward A bed 3". */
function resultLine(alert: AlertSummary): string {
  return `${readableUnits(alert.headline)}, ${identityText(alert.patient)}${alert.location ? `, ${alert.location}` : ''}`;
}

/**
 * One sentence for criticals that arrived together (newest first): a single one told as itself, more
 * counted. `more` says there may be more than these (the feed holds older rows than it loaded), so the
 * count is a lower bound.
 */
export function criticalsSentence(
  arrived: readonly [AlertSummary, ...AlertSummary[]],
  more: boolean,
): string {
  const [newest] = arrived;
  if (arrived.length === 1) return `New critical result: ${resultLine(newest)}`;
  const count = `${arrived.length}${more ? ' or more' : ''}`;
  return `${count} new critical results arrived together. Newest: ${resultLine(newest)}`;
}

/**
 * The criticals a feed holds, to compare the feed after a burst with. Rows still waiting for their read
 * are not among them: a catch-up's first burst stores them, a later one classifies them, and that is
 * when they are news.
 */
export function criticalsOn(list: readonly AlertSummary[]): Set<string> {
  return new Set(list.filter((a) => a.tier === 'critical').map((a) => a.id));
}

/**
 * After a burst: the new criticals in `after` (newest first) that were not criticals on the page
 * `before` it (a row that waited for its read and is critical now is news) and not announced yet, as
 * one sentence. `more` says the feed holds older rows than it loaded, so the count is a lower bound.
 */
export function burstAnnouncement(
  criticalsBefore: ReadonlySet<string>,
  after: readonly AlertSummary[],
  announced: Announced,
  more: boolean,
): string | null {
  const arrived = after.filter((a) => isNewCritical(a) && !criticalsBefore.has(a.id) && !announced.has(a.id));
  const [newest, ...rest] = arrived;
  if (!newest) return null;
  for (const alert of arrived) announced.add(alert.id);
  return criticalsSentence([newest, ...rest], more);
}
