// Notify once: an interrupting alert is claimed (pending → notifying, true exactly once across
// restarts) and delivered; after the notifier returns it is marked notified with its audit row.
// Criticals that arrive as catch-up (replay, recovery, a previous run) are held briefly: three or more
// become one offline summary instead of a storm. Live criticals are notified as they come, one each,
// unless more than a nurse can read arrive in one batch (a lab's held results released at once): those
// are one notification that counts them, and the pinned list shows each.
import type { AlertSummary } from '../../shared/api.ts';
import {
  AT_ONCE_ONE_BY_ONE,
  alertNotification,
  arrivedTogetherNotification,
  offlineSummaryNotification,
} from '../alerting/notification-text.ts';
import { raise } from '../alerting/raise.ts';
import type { Logger } from '../log.ts';
import type { AlertNotification, Notifier } from '../ports.ts';
import type { AlertStore } from '../store/alert-store.ts';

export const SUMMARY_THRESHOLD = 3;
/** How long catch-up criticals are collected before the summary (or their own notifications). */
const SUMMARY_WINDOW_MS = 400;

export interface NotifyDeps {
  alerts: AlertStore;
  notifier: Notifier;
  logger: Logger;
  /** Hide values and names (a preference: read at each notification). */
  isPrivate(): boolean;
  /** Whether an alert arrived as catch-up rather than live. */
  isCatchUp(alert: AlertSummary): boolean;
  /** A summary was sent or dropped: the owner checks whether everything is idle. */
  settled(): void;
  /** Run store writes in one transaction (one fsync for a batch's claims or marks). Default: as is. */
  inTransaction?<T>(write: () => T): T;
}

/** Catch-up criticals waiting for the summary window to close. */
export interface NotifyState {
  catchUp: AlertSummary[];
  summaryTimer: NodeJS.Timeout | null;
}

export function createNotifyState(): NotifyState {
  return { catchUp: [], summaryTimer: null };
}

/** The store's transaction for a batch's writes, or the writes as they are. */
const writer = (deps: NotifyDeps) => deps.inTransaction ?? (<T>(w: () => T): T => w());

/** A delivery that failed: audited, and the alert stays pinned. */
function deliveryFailed(deps: NotifyDeps, alertId: string, why: string): void {
  deps.alerts.audit(alertId, 'notify-failed', null, why, Date.now());
  deps.logger.error({ alertId }, 'notifier failed');
}

/** Deliver one claimed alert; a failure is audited and the alert stays pinned, never retried into a storm. */
export async function deliver(deps: NotifyDeps, alert: AlertSummary): Promise<void> {
  const failed = await raise(deps.notifier, alertNotification(alert, deps.isPrivate()));
  if (failed === null) deps.alerts.markNotified(alert.id, Date.now());
  else deliveryFailed(deps, alert.id, failed);
}

/**
 * Notify a batch of freshly enriched interrupting alerts: catch-up ones are held for the summary; the
 * live ones are claimed in one transaction, delivered in order (or, above AT_ONCE_ONE_BY_ONE, as one
 * notification for them all), then marked in one transaction (a crash in between leaves them
 * 'notifying', which the next start retries: a repeat is safer than a loss).
 */
export async function notifyMany(
  deps: NotifyDeps,
  state: NotifyState,
  alerts: readonly AlertSummary[],
): Promise<void> {
  const write = writer(deps);
  const catchUp: AlertSummary[] = [];
  const live: AlertSummary[] = [];
  for (const alert of alerts) (deps.isCatchUp(alert) ? catchUp : live).push(alert);
  if (catchUp.length > 0) holdForSummary(deps, state, catchUp);
  const claimed = write(() => live.filter((a) => deps.alerts.claimNotification(a.id)));
  if (claimed.length > AT_ONCE_ONE_BY_ONE)
    return summarise(
      deps,
      claimed,
      arrivedTogetherNotification(claimed.length, ...covering(claimed)),
      'notifier failed on a summary of live criticals',
    );
  const delivered: AlertSummary[] = [];
  for (const alert of claimed) {
    const failed = await raise(deps.notifier, alertNotification(alert, deps.isPrivate()));
    if (failed === null) delivered.push(alert);
    else deliveryFailed(deps, alert.id, failed);
  }
  const at = Date.now();
  write(() => {
    for (const alert of delivered) deps.alerts.markNotified(alert.id, at);
  });
}

/** What a summary of `batch` says about it: the alerts it covers, and how many could not be checked. */
const covering = (batch: readonly AlertSummary[]): [string[], number] => [
  batch.map((a) => a.id),
  batch.filter((a) => a.fetch !== 'ok').length,
];

/**
 * One notification for a claimed batch (a storm of live criticals, or a catch-up), then every alert of
 * it marked summarised in one transaction; a failed summary is logged and not retried into a storm.
 */
async function summarise(
  deps: NotifyDeps,
  batch: readonly AlertSummary[],
  summary: AlertNotification,
  failureMessage: string,
): Promise<void> {
  if ((await raise(deps.notifier, summary)) !== null)
    deps.logger.error({ count: batch.length }, failureMessage);
  const at = Date.now();
  writer(deps)(() => {
    for (const alert of batch) deps.alerts.markSummarised(alert.id, at);
  });
}

/** Collect catch-up criticals; the first one opens the summary window. */
export function holdForSummary(deps: NotifyDeps, state: NotifyState, alerts: readonly AlertSummary[]): void {
  state.catchUp.push(...alerts);
  if (state.catchUp.length > 0)
    state.summaryTimer ??= setTimeout(() => void flushCatchUp(deps, state), SUMMARY_WINDOW_MS);
}

/** Close the window: one summary for many criticals, or each one's own notification for a few. */
export async function flushCatchUp(deps: NotifyDeps, state: NotifyState): Promise<void> {
  state.summaryTimer = null;
  // One transaction for the claims and one for the marks: a catch-up of thousands must not cost two
  // fsyncs per alert on the thread that commits the next frames.
  const write = writer(deps);
  const waiting = state.catchUp.splice(0);
  const batch = write(() => waiting.filter((a) => deps.alerts.claimNotification(a.id)));
  if (batch.length >= SUMMARY_THRESHOLD) {
    await summarise(
      deps,
      batch,
      offlineSummaryNotification(batch.length, ...covering(batch)),
      'notifier failed on offline summary',
    );
  } else {
    for (const alert of batch) await deliver(deps, alert);
  }
  deps.settled();
}

/** Stop: a pending summary window is dropped (its alerts stay pending for the next start). */
export function cancelSummary(state: NotifyState): void {
  if (state.summaryTimer) clearTimeout(state.summaryTimer);
  state.summaryTimer = null;
}
