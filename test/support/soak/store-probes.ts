// Read-only looks into the two SQLite files while a soak runs: the monitor's stored cursor, the server's
// event count for the monitor's subscription, and the monitor's unfinished work. Each opens, reads and
// closes, so a kill -9 of either process never finds the soak holding a handle; a file that does not
// exist yet (or is mid-creation) reads as "nothing known".
import Database from 'better-sqlite3';

function readOnly<T>(path: string, read: (db: Database.Database) => T, otherwise: T): T {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return read(db);
  } catch {
    return otherwise;
  } finally {
    db?.close();
  }
}

/** The monitor's replay cursor (the highest over its subscriptions), or null before it has one. */
export function storedCursor(monitorDb: string): number | null {
  return readOnly(
    monitorDb,
    (db) => (db.prepare('SELECT MAX(cursor) AS c FROM subscriptions').get() as { c: number | null }).c,
    null,
  );
}

/** The server's event count for the subscription the monitor (`clientId`) owns, or null before there is one. */
export function serverEventCount(
  serverDb: string,
  clientId: string,
): { subscriptionId: string; count: number } | null {
  return readOnly(
    serverDb,
    (db) => {
      const row =
        (db
          .prepare(
            'SELECT subscription_id AS id, event_count AS n FROM subscription_log WHERE owner LIKE ? LIMIT 1',
          )
          .get(`%${clientId}%`) as { id: string; n: number } | undefined) ??
        (db.prepare('SELECT subscription_id AS id, event_count AS n FROM subscription_log LIMIT 1').get() as
          { id: string; n: number } | undefined);
      return row ? { subscriptionId: row.id, count: row.n } : null;
    },
    null,
  );
}

/** Committed alerts still waiting for their fetch or their notification (1 when the store cannot be read). */
export function pendingWork(monitorDb: string): number {
  return readOnly(
    monitorDb,
    (db) =>
      (
        db
          .prepare(
            `SELECT COUNT(*) AS n FROM alerts
             WHERE fetch_status = 'pending' OR fetch_retry_at IS NOT NULL
               OR (tier = 'critical' AND (notify_state IS NULL OR notify_state NOT IN ('notified','summarised')))`,
          )
          .get() as { n: number }
      ).n,
    1,
  );
}
