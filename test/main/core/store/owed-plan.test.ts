// Finding owed claim-check reads goes through their partial index (few rows), never through the
// owner's whole alert history: after a catch-up of 100,000 alerts SQLite's own choice scanned every
// one of them after every enrichment batch (9.5 ms per look-up at 20,000 alerts, on the thread that
// commits the next frames). Asserted on the query plan of the statements the store prepares (real
// database, real schema), not on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Db } from '../../../../src-main/lib/sqlite.ts';
import { DEFAULT_LIFECYCLE_TIMERS } from '../../../../src-main/core/store/alert-rows.ts';
import { createAlertStore } from '../../../../src-main/core/store/alert-store.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'owed-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every SQL text the alert store prepares. */
function preparedBy(db: Db): string[] {
  const sql: string[] = [];
  const recording = new Proxy(db, {
    get: (target, key) =>
      key === 'prepare'
        ? (text: string) => {
            sql.push(text);
            return target.prepare(text);
          }
        : Reflect.get(target, key),
  });
  createAlertStore(recording, DEFAULT_LIFECYCLE_TIMERS);
  return sql;
}

describe('owed reads query plan', () => {
  it('looks owed alerts up through alerts_owed_fetch, not the owner index', () => {
    const db = openDatabase(join(dir, 'client.sqlite'));
    migrate(db, 'client', CLIENT_MIGRATIONS);
    const owed = preparedBy(db).filter((sql) => /fetch_retry_at IS NOT NULL AND .*owner IS \?/s.test(sql));
    expect(owed.length).toBe(2);
    for (const sql of owed) {
      const args = sql.includes('fetch_retry_at <= ?') ? ['2030-01-01T00:00:00.000Z', 'owner'] : ['owner'];
      const plan = db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((row) => row.detail)
        .join('\n');
      expect(plan, sql).toMatch(/USING INDEX alerts_owed_fetch/);
      expect(plan).not.toMatch(/alerts_by_owner/);
    }
    db.close();
  });
});
