// What the workstation keeps, and for how long. The cursor lives on the subscription row, so old
// event rows can go without affecting replay. Open alerts are never pruned, whatever their age:
// an unacknowledged critical stays until someone closes it. PHI in the resource cache is kept short.
// A retired subscription's record (gone on the server, kept for its events and alerts) goes once
// nothing of it is left.
import type { ClientStore } from './client-store.ts';

export interface RetentionPolicy {
  /** Event rows (ids and numbers only). Default 30 days. */
  eventDays: number;
  /** Acknowledged or resolved alerts and non-critical alerts. Default 90 days. */
  closedAlertDays: number;
  /** Cached resources (PHI). Default 2 days. */
  resourceCacheDays: number;
  /** Audit rows: long, for critical-result compliance reviews. Default 400 days. */
  auditDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  eventDays: 30,
  closedAlertDays: 90,
  resourceCacheDays: 2,
  auditDays: 400,
};

export interface PruneResult {
  events: number;
  alerts: number;
  cachedResources: number;
  auditRows: number;
  /** Retired subscription records with no event, alert, gap or closed-loop record left. */
  retiredSubscriptions: number;
}

const daysAgo = (days: number, now: number) => new Date(now - days * 86_400_000).toISOString();

/**
 * Delete what the policy no longer keeps, in one transaction, then checkpoint the WAL. Alert and audit
 * rows are pruned by their owner (alert-store.ts); events and the cache here.
 */
export function pruneStore(
  store: ClientStore,
  policy: RetentionPolicy = DEFAULT_RETENTION,
  now = Date.now(),
): PruneResult {
  const { db } = store;
  const result = db.transaction((): PruneResult => {
    const events = db.prepare('DELETE FROM events WHERE received_at < ?').run(daysAgo(policy.eventDays, now));
    const cached = db
      .prepare('DELETE FROM resource_cache WHERE fetched_at < ?')
      .run(daysAgo(policy.resourceCacheDays, now));
    const pruned = store.alerts.prune(daysAgo(policy.closedAlertDays, now), daysAgo(policy.auditDays, now));
    // A decision only waits for an order's alert that could still arrive: within the events' window.
    db.prepare('DELETE FROM decided_orders WHERE remembered_at < ?').run(daysAgo(policy.eventDays, now));
    // After the events and alerts above: a record retired longer than events are kept, that nothing
    // refers to any more. One with an open alert (never pruned) or an unapplied record stays.
    const retired = db
      .prepare(
        `DELETE FROM subscriptions WHERE retired_at IS NOT NULL AND retired_at < ?
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.subscription_key = subscriptions.key)
           AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.subscription_key = subscriptions.key)
           AND NOT EXISTS (SELECT 1 FROM gaps g WHERE g.subscription_key = subscriptions.key)
           AND NOT EXISTS (SELECT 1 FROM loop_inbox l WHERE l.subscription_key = subscriptions.key)`,
      )
      .run(daysAgo(policy.eventDays, now));
    return {
      events: events.changes,
      alerts: pruned.alerts,
      cachedResources: cached.changes,
      auditRows: pruned.auditRows,
      retiredSubscriptions: retired.changes,
    };
  })();
  // Give freed pages back to the main file and keep the WAL from growing without bound.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('optimize');
  return result;
}
