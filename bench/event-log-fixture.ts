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

/**
 * Like growEventLog, but event n (2…total) names its own copy of the first event's focus resource
 * (`<id>-<n>`, the same body with its id changed, indexed like the original), so a catch-up has
 * `total` different results to read and classify. Returns the log's event count afterwards.
 */
export function growDistinctEventLog(dbPath: string, subscriptionId: string, total: number): number {
  const db = openDatabase(dbPath);
  try {
    return db.transaction(() => {
      const first = db
        .prepare<[string], { topic: string; focus_type: string; focus_id: string }>(
          'SELECT topic, focus_type, focus_id FROM subscription_event WHERE subscription_id = ? AND event_number = 1',
        )
        .get(subscriptionId);
      if (!first) throw new Error('no real event to copy');
      const seq = `WITH RECURSIVE seq(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM seq WHERE n < ${Number(total)})`;
      const args = [first.focus_type, first.focus_id] as const;
      db.prepare(
        `${seq} INSERT INTO resource_current (type, id, version_id, last_updated, deleted, body)
         SELECT r.type, r.id || '-' || seq.n, r.version_id, r.last_updated, r.deleted,
           json_set(r.body, '$.id', r.id || '-' || seq.n)
         FROM resource_current r, seq WHERE r.type = ? AND r.id = ?`,
      ).run(...args);
      db.prepare(
        `${seq} INSERT INTO resource_version (type, id, version_id, last_updated, deleted, method, body)
         SELECT r.type, r.id || '-' || seq.n, r.version_id, r.last_updated, r.deleted, r.method,
           json_set(r.body, '$.id', r.id || '-' || seq.n)
         FROM resource_version r, seq WHERE r.type = ? AND r.id = ?`,
      ).run(...args);
      db.prepare(
        `${seq} INSERT INTO search_index (type, id, param, value)
         SELECT s.type, s.id || '-' || seq.n, s.param, s.value FROM search_index s, seq
         WHERE s.type = ? AND s.id = ?`,
      ).run(...args);
      db.prepare(
        `${seq} INSERT INTO subscription_event (subscription_id, event_number, created_at, topic, focus_type,
           focus_id, focus_version, interaction, labels)
         SELECT e.subscription_id, seq.n, e.created_at, e.topic, e.focus_type, e.focus_id || '-' || seq.n,
           e.focus_version, e.interaction, e.labels
         FROM subscription_event e, seq WHERE e.subscription_id = ? AND e.event_number = 1`,
      ).run(subscriptionId);
      db.prepare('UPDATE subscription_log SET event_count = ? WHERE subscription_id = ?').run(
        total,
        subscriptionId,
      );
      return total;
    })();
  } finally {
    db.close();
  }
}
