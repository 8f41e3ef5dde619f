// A search's ward-label check looks up each candidate's own index rows, never every `_ward` row of the
// type: with 100,000 Observations a search of 100 ids by `_id` took seconds per request because the
// correlated check scanned the whole ward index for each candidate. Asserted on SQLite's query plan of
// the statements search() really runs (real database, real schema), not on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Db } from '../../../../src-main/lib/sqlite.ts';
import { SERVER_MIGRATIONS } from '../../../../src-main/server/store/schema.ts';
import { createResourceStore } from '../../../../src-main/server/store/resources.ts';
import { search } from '../../../../src-main/server/store/search.ts';

const dir = mkdtempSync(join(tmpdir(), 'search-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The database, with every statement search() runs recorded with its arguments. */
function recording(db: Db): { db: Db; ran: Array<{ sql: string; args: unknown[] }> } {
  const ran: Array<{ sql: string; args: unknown[] }> = [];
  const prepare = (sql: string) => {
    const statement = db.prepare(sql);
    return {
      get: (...args: unknown[]) => {
        ran.push({ sql, args });
        return statement.get(...args);
      },
      all: (...args: unknown[]) => {
        ran.push({ sql, args });
        return statement.all(...args);
      },
    };
  };
  return { db: new Proxy(db, { get: (t, k) => (k === 'prepare' ? prepare : Reflect.get(t, k)) }), ran };
}

/** The query plan of every statement search() ran for this query. */
function plans(db: Db, query: Parameters<typeof search>[1]): Array<{ sql: string; plan: string[] }> {
  const { db: recorded, ran } = recording(db);
  search(recorded, query);
  return ran.map(({ sql, args }) => ({
    sql,
    plan: db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...args)
      .map((row) => row.detail),
  }));
}

describe('search query plan', () => {
  it('finds an id list by the primary key, never by walking every resource of the type in order', () => {
    const db = openDatabase(join(dir, 'server-ids.sqlite'));
    migrate(db, 'server', SERVER_MIGRATIONS);
    const ids = Array.from({ length: 100 }, (_, i) => `obs-${i}`).join(',');
    const ran = plans(db, { type: 'Observation', params: [['_id', ids]], labels: null });
    expect(ran.length).toBeGreaterThan(0);
    for (const { sql, plan } of ran) {
      expect(plan.join('\n'), sql).toMatch(
        /SEARCH r USING (COVERING )?INDEX sqlite_autoindex_resource_current_1 \(type=\? AND id=\?\)/,
      );
      expect(plan.join('\n')).not.toMatch(/resource_current_updated/);
    }
    db.close();
  });

  it('checks ward labels through the resource index, not a scan of every ward row', () => {
    const db = openDatabase(join(dir, 'server.sqlite'));
    migrate(db, 'server', SERVER_MIGRATIONS);
    const { db: recorded, ran } = recording(db);
    search(recorded, {
      type: 'Observation',
      params: [['_id', 'a,b,c']],
      labels: ['ward-a'],
    });
    expect(ran.length).toBeGreaterThan(0);
    for (const { sql, args } of ran) {
      const plan = db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((row) => row.detail);
      const wardCheck = plan.filter(
        (detail) => detail.includes('search_index') && !detail.includes('SCALAR'),
      );
      // A covering index: the candidate's `_ward` rows are found and compared in the index alone, no
      // table row read for each of its ~11 index rows (a third of a claim-check batch read's time).
      expect(wardCheck.join('\n'), sql).toMatch(
        /SEARCH s USING COVERING INDEX search_index_resource \(type=\? AND id=\? AND param=\?\)/,
      );
      expect(wardCheck.join('\n')).not.toMatch(/search_index_lookup \(type=\? AND param=\?\)/);
    }
    db.close();
  });

  it('counts only when the page cannot tell the total (a short first page is all there is)', () => {
    const db = openDatabase(join(dir, 'server-total.sqlite'));
    migrate(db, 'server', SERVER_MIGRATIONS);
    const resources = createResourceStore(db);
    for (const id of ['p1', 'p2', 'p3']) resources.update({ resourceType: 'Patient', id });
    const counted = (query: string): { total: number; counts: number; returned: number } => {
      const { db: recorded, ran } = recording(db);
      const params = [...new URLSearchParams(query)];
      const result = search(recorded, { type: 'Patient', params, labels: null });
      return {
        total: result.total,
        counts: ran.filter((r) => r.sql.includes('COUNT(*)')).length,
        returned: result.resources.length,
      };
    };
    const cases: Array<{ why: string; query: string; expected: ReturnType<typeof counted> }> = [
      {
        why: 'a claim-check batch read: an id list that fits its page, one statement, the same total',
        query: '_id=p1,p2,p3,gone&_count=100',
        expected: { total: 3, counts: 0, returned: 3 },
      },
      {
        why: 'a full page may have more behind it: counted',
        query: '_count=2',
        expected: { total: 3, counts: 1, returned: 2 },
      },
      {
        why: 'the last, short page of several: what came before plus its rows',
        query: '_count=2&_offset=2',
        expected: { total: 3, counts: 0, returned: 1 },
      },
      {
        why: 'past the end: the page says nothing, so it is counted',
        query: '_count=2&_offset=9',
        expected: { total: 3, counts: 1, returned: 0 },
      },
      {
        why: '`_count=0` (a count alone): counted',
        query: '_count=0',
        expected: { total: 3, counts: 1, returned: 0 },
      },
    ];
    for (const { why, query, expected } of cases) expect(counted(query), why).toEqual(expected);
    db.close();
  });
});
