// Gap recovery: events the server numbered but this workstation never received are fetched from the
// server's own log with `$events` and committed like any other (source 'recovery'). A short grace
// window first lets an out-of-order event arrive by itself. Whether the server has `$events` is
// discovered (server-profile.ts); without it, a subscription with a search reconciles by query instead.
import { fhirFetch } from '../fhir/fhir-client.ts';
import { parseNotificationBundle } from '../notifications/parse-bundle.ts';
import { commitEvents } from './ingest.ts';
import { reportError, type FollowUps, type PipelineDeps, type SubscriptionState } from './state.ts';

/** Statuses by which a server says it has no such operation. */
const NO_OPERATION = new Set([400, 404, 405, 501]);

/** The ranges still missing: open gaps, plus anything between the cursor and the server's count. */
export function missingRanges(
  deps: PipelineDeps,
  sub: SubscriptionState,
): Array<{ first: number; last: number }> {
  const key = sub.record.key;
  deps.store.closeFilledGaps(key);
  const ranges = deps.store.openGaps(key);
  const known = Number(sub.health.entry.eventsSinceSubscriptionStart ?? '0');
  const cursor = deps.store.getCursor(key);
  if (known > cursor) ranges.push({ first: cursor + 1, last: known });
  return ranges;
}

/** Fetch the missing ranges with `$events` and commit them. */
export async function recoverGaps(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
): Promise<void> {
  if (deps.profile && !deps.profile.offersEvents()) {
    if (sub.reconcileQuery) followUps.scheduleReconcile(sub);
    else reportError(deps, sub, 'events were missed and the server has no $events to recover them');
    return;
  }
  for (const range of missingRanges(deps, sub)) {
    const { status, body } = await fhirFetch(
      deps.access,
      `Subscription/${sub.record.remoteId}/$events?eventsSinceNumber=${range.first}&eventsUntilNumber=${range.last}`,
    );
    if (NO_OPERATION.has(status) && deps.profile?.learned.eventsOperation !== true) {
      deps.profile?.learn({ eventsOperation: false });
      if (sub.reconcileQuery) followUps.scheduleReconcile(sub);
      throw new Error(`the server has no $events (HTTP ${status})`);
    }
    if (status !== 200) throw new Error(`$events answered ${status}`);
    deps.profile?.learn({ eventsOperation: true });
    const parsed = parseNotificationBundle(body);
    if (!parsed.ok) throw new Error(`$events bundle: ${parsed.error}`);
    await commitEvents(
      deps,
      followUps,
      sub,
      parsed.notification.events,
      'recovery',
      parsed.notification.resources,
    );
  }
  deps.pushHealth();
}

/** Recover after the grace window; at most one recovery is pending per subscription. */
export function scheduleGapRecovery(deps: PipelineDeps, followUps: FollowUps, sub: SubscriptionState): void {
  if (sub.gapTimer) return;
  sub.gapTimer = setTimeout(() => {
    sub.gapTimer = null;
    recoverGaps(deps, followUps, sub).catch((error: unknown) =>
      reportError(deps, sub, `gap recovery failed: ${String(error)}`),
    );
  }, deps.gapGraceMs);
}
