// What the workstation keeps, and for how long. The cursor lives on the subscription row, so old
// event rows can go without affecting replay. Open alerts are never pruned, whatever their age:
// an unacknowledged critical stays until someone closes it. PHI in the resource cache is kept short.
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
    return {
      events: events.changes,
      alerts: pruned.alerts,
      cachedResources: cached.changes,
      auditRows: pruned.auditRows,
    };
  })();
  // Give freed pages back to the main file and keep the WAL from growing without bound.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('optimize');
  return result;
}
