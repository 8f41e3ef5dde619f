// The one owner of the notifications still followed for withdrawal (tables raised_notifications and
// raised_notification_alerts, migration 10 in schema.ts). A notification is followed while it stands
// for at least one open alert: one for several criticals until the last of them is closed, one the host
// can close again in a later run until its alert is closed. Kept in SQLite so that a restart between
// raising and acknowledging does not leave a lock screen asking about a critical nobody needs to act on.
import type { Db } from '../../lib/sqlite.ts';

/**
 * Notifications followed at most; past this the oldest is no longer followed and stays until the user
 * dismisses it. A ward sees a handful of combined ones a day; the cap bounds a host nobody acknowledges on.
 */
export const MAX_FOLLOWED_NOTIFICATIONS = 1000;

export interface FollowedNotification {
  /** The alert's id, or the group id of a notification for several alerts. */
  key: string;
  kind: 'alert' | 'group';
  /** The host run that raised it. */
  run: string;
  /** What the host closes it by in another run (opaque to the core), when it gave one. */
  osRef: string | null;
}

interface Row {
  id: number;
  key: string;
  kind: string;
  run: string;
  os_ref: string | null;
}

const toFollowed = (row: Row): FollowedNotification => ({
  key: row.key,
  kind: row.kind === 'group' ? 'group' : 'alert',
  run: row.run,
  osRef: row.os_ref,
});

export type RaisedNotificationStore = ReturnType<typeof createRaisedNotificationStore>;

export function createRaisedNotificationStore(db: Db, limit = MAX_FOLLOWED_NOTIFICATIONS) {
  const s = {
    insert: db.prepare<[string, string, string, string], { id: number }>(
      'INSERT INTO raised_notifications (key, kind, run, raised_at) VALUES (?, ?, ?, ?) RETURNING id',
    ),
    cover: db.prepare<[number, string]>(
      'INSERT OR IGNORE INTO raised_notification_alerts (notification, alert_id) VALUES (?, ?)',
    ),
    setOsRef: db.prepare<[string, number]>('UPDATE raised_notifications SET os_ref = ? WHERE id = ?'),
    delete: db.prepare<[number]>('DELETE FROM raised_notifications WHERE id = ?'),
    count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM raised_notifications'),
    oldest: db.prepare<[number], { id: number }>('SELECT id FROM raised_notifications ORDER BY id LIMIT ?'),
    coveringAlert: db.prepare<[string], { notification: number }>(
      'SELECT notification FROM raised_notification_alerts WHERE alert_id = ?',
    ),
    releaseAlert: db.prepare<[string]>('DELETE FROM raised_notification_alerts WHERE alert_id = ?'),
    releaseOne: db.prepare<[number, string]>(
      'DELETE FROM raised_notification_alerts WHERE notification = ? AND alert_id = ?',
    ),
    // A notification none of whose alerts is left: done, to be taken back.
    doneRow: db.prepare<[number], Row>(`
      SELECT id, key, kind, run, os_ref FROM raised_notifications n
      WHERE id = ? AND NOT EXISTS (SELECT 1 FROM raised_notification_alerts a WHERE a.notification = n.id)`),
    earlier: db.prepare<[string], Row & { alert_id: string }>(`
      SELECT n.id, n.key, n.kind, n.run, n.os_ref, a.alert_id FROM raised_notifications n
      JOIN raised_notification_alerts a ON a.notification = n.id WHERE n.run <> ? ORDER BY n.id`),
  };

  /** The notifications among `ids` that stand for no alert any more, removed (to be taken back). */
  const takeDone = (ids: Iterable<number>): FollowedNotification[] => {
    const done: FollowedNotification[] = [];
    for (const id of ids) {
      const row = s.doneRow.get(id);
      if (!row) continue;
      s.delete.run(id);
      done.push(toFollowed(row));
    }
    return done;
  };

  return {
    /** Follow a notification raised in `run` for `alertIds`; returns its handle for `setOsRef`/`forget`. */
    follow: db.transaction(
      (n: { key: string; kind: 'alert' | 'group'; run: string; alertIds: readonly string[] }): number => {
        const row = s.insert.get(n.key, n.kind, n.run, new Date().toISOString());
        if (!row) throw new Error('raised notification not recorded');
        for (const alertId of n.alertIds) s.cover.run(row.id, alertId);
        const over = (s.count.get()?.n ?? 0) - limit;
        if (over > 0) for (const old of s.oldest.all(over)) s.delete.run(old.id);
        return row.id;
      },
    ),
    /** What the host said it can close this notification by in a later run. */
    setOsRef: (id: number, osRef: string): void => void s.setOsRef.run(osRef, id),
    /** Stop following one notification (it could not be raised). */
    forget: (id: number): void => void s.delete.run(id),
    /** `alertId` is no longer open: the notifications that now stand for no open alert, no longer followed. */
    release: db.transaction((alertId: string): FollowedNotification[] => {
      const covering = s.coveringAlert.all(alertId).map((row) => row.notification);
      s.releaseAlert.run(alertId);
      return takeDone(covering);
    }),
    /**
     * After a restart: release every alert of an earlier run's notifications that `isOpen` says is
     * closed (acknowledged, resolved or withdrawn while this host was down); the notifications that now
     * stand for no open alert, no longer followed.
     */
    settleEarlier: db.transaction((run: string, isOpen: (alertId: string) => boolean) => {
      const touched = new Set<number>();
      for (const row of s.earlier.all(run)) {
        if (isOpen(row.alert_id)) continue;
        s.releaseOne.run(row.id, row.alert_id);
        touched.add(row.id);
      }
      return takeDone(touched);
    }),
    /** How many notifications are followed (for tests and the log). */
    followed: (): number => s.count.get()?.n ?? 0,
  };
}
