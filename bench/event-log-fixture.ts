// Replay fixture for the benchmarks: grow a subscription's event log to `total` events by copying its
// real logged events (doubling each round), so 100,000 events take milliseconds, not a simulated week.
// Generation is never part of a measured figure.
import { openDatabase } from '../src-main/lib/sqlite.ts';

/** Returns the log's event count afterwards. Throws when the subscription has no real event to copy. */
export function growEventLog(dbPath: string, subscriptionId: string, total: number): number {
  const db = openDatabase(dbPath);
  try {
    return db.transaction(() => {
      const current =
        db
          .prepare<[string], { c: number }>(
            'SELECT event_count AS c FROM subscription_log WHERE subscription_id = ?',
          )
          .get(subscriptionId)?.c ?? 0;
      if (current === 0) throw new Error('no real events to copy');
      const copy = db.prepare(
        `INSERT INTO subscription_event (subscription_id, event_number, created_at, topic, focus_type,
           focus_id, focus_version, interaction, labels)
         SELECT subscription_id, event_number + ?, created_at, topic, focus_type, focus_id, focus_version,
           interaction, labels FROM subscription_event
         WHERE subscription_id = ? AND event_number <= ?`,
      );
      let n = current;
      while (n < total) {
        const step = Math.min(n, total - n);
        copy.run(n, subscriptionId, step);
        n += step;
      }
      db.prepare('UPDATE subscription_log SET event_count = ? WHERE subscription_id = ?').run(
        n,
        subscriptionId,
      );
      return n;
    })();
  } finally {
    db.close();
  }
}
