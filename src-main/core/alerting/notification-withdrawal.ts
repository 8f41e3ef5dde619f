// Notifications are taken back once nobody needs to act on them, here or on another workstation, and
// across a restart of this host: a lock screen must not keep asking about a critical that was handled.
//
// - An alert's own notifications go with it (`Notifier.withdraw`).
// - A notification that covers several criticals (a storm's "12 critical results arrived together", an
//   offline summary, an escalation or fail-safe notice for many) goes once every critical it covers has
//   been acknowledged or resolved (`withdrawGroup`); while one of them is open it stays, because it is
//   the only interruption that stands for that one.
// - One raised before a restart goes the same way (`withdrawEarlier`), with what the host said it could
//   close it by (`OsNotificationRef`); acknowledgments made while the host was down are settled at start.
//
// The hosts only raise and close; which notification still stands for an open alert is decided here,
// once, for every host, and kept in SQLite (store/raised-notifications.ts).
import { randomUUID } from 'node:crypto';
import type { AlertNotification, EarlierNotification, Notifier, OsNotificationRef } from '../ports.ts';
import type { FollowedNotification, RaisedNotificationStore } from '../store/raised-notifications.ts';

/** A notification for several alerts, rather than for one. */
const isCombined = (n: AlertNotification): n is AlertNotification & { alertIds: string[] } =>
  n.alertId === null && (n.alertIds?.length ?? 0) > 0;

export interface NotificationWithdrawal {
  notifier: Notifier;
  /** Take back what an earlier run raised for alerts closed since (acknowledged while this host was down). */
  settleEarlier(isOpen: (alertId: string) => boolean): Promise<void>;
}

const earlierOf = (followed: FollowedNotification[], run: string): EarlierNotification[] =>
  followed.filter((n) => n.run !== run).map(({ key, kind, osRef }) => ({ key, kind, osRef }));

/**
 * `inner`, with every combined notification given a `groupId` unique across runs and withdrawn
 * (`withdrawGroup`) once the last alert it covers is withdrawn, and what earlier runs raised withdrawn
 * (`withdrawEarlier`) the same way. `inner.withdraw` is still called for every alert.
 */
export function withdrawingNotifications(
  inner: Notifier,
  store: RaisedNotificationStore,
  run: string = randomUUID(),
): NotificationWithdrawal {
  const closeEarlier = async (earlier: EarlierNotification[]) => {
    if (earlier.length > 0) await inner.withdrawEarlier?.(earlier);
  };
  const notifier: Notifier = {
    async notify(n) {
      const groupId = isCombined(n) ? `group-${randomUUID()}` : null;
      // Followed before it is raised, so an acknowledgment during the raise still takes it back.
      const followed = groupId
        ? store.follow({ key: groupId, kind: 'group', run, alertIds: n.alertIds ?? [] })
        : null;
      let osRef: OsNotificationRef | undefined;
      try {
        osRef = await inner.notify(groupId ? { ...n, groupId } : n);
      } catch (error) {
        if (followed !== null) store.forget(followed);
        throw error;
      }
      if (!osRef) return osRef;
      if (followed !== null) store.setOsRef(followed, osRef);
      else if (n.alertId) {
        const id = store.follow({ key: n.alertId, kind: 'alert', run, alertIds: [n.alertId] });
        store.setOsRef(id, osRef);
      }
      return osRef;
    },
    async withdraw(alertId) {
      const done = store.release(alertId);
      const groupsOfThisRun = done.filter((n) => n.run === run && n.kind === 'group').map((n) => n.key);
      // The alert's own notifications first, then every combined one that stood only for it (and
      // others already closed), then what an earlier run raised for it; a failure in one does not keep
      // the others on screen.
      const closing = [
        inner.withdraw?.(alertId),
        ...groupsOfThisRun.map((groupId) => inner.withdrawGroup?.(groupId)),
        closeEarlier(earlierOf(done, run)),
      ];
      const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
  return {
    notifier,
    settleEarlier: (isOpen) => closeEarlier(earlierOf(store.settleEarlier(run, isOpen), run)),
  };
}
