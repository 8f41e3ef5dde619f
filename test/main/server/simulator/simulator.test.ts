import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { createSimulator } from '../../../../src-main/server/simulator/index.ts';
import { createResourceStore } from '../../../../src-main/server/store/resources.ts';
import { SERVER_MIGRATIONS } from '../../../../src-main/server/store/schema.ts';

function run(seed: number, hours: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sim-'));
  const db = openDatabase(join(dir, 'db.sqlite'), { synchronous: 'NORMAL' });
  migrate(db, 'server', SERVER_MIGRATIONS);
  const store = createResourceStore(db);
  const sim = createSimulator(store, { seed, startTime: '2026-03-02T00:00:00Z' });
  sim.seed();
  const hourly: number[] = [];
  for (let h = 0; h < hours; h += 1) hourly.push(sim.advance(3_600_000).observations);
  const rows = db
    .prepare<[], { body: string }>("SELECT body FROM resource_version WHERE type != 'Basic' ORDER BY rowid")
    .all()
    .map((row) => {
      const r = JSON.parse(row.body) as Record<string, unknown>;
      // Ids of created resources are random UUIDs; the content is what must be reproducible.
      const { id: _id, meta: _meta, result: _result, ...content } = r;
      return JSON.stringify(content);
    });
  const census = { a: sim.census('ward-a').length, b: sim.census('ward-b').length };
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { rows, counts: sim.counts(), hourly, census };
}

describe('ward simulator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = run(7, 3);
    const b = run(7, 3);
    expect(a.rows).toEqual(b.rows);
    expect(run(8, 3).rows).not.toEqual(a.rows);
  });

  it('models two 30-bed wards, a morning draw peak, ~2 % criticals, orders and patient flow', () => {
    const day = run(3, 24);
    expect(day.census.a).toBeGreaterThan(15);
    expect(day.census.a).toBeLessThanOrEqual(30);
    const morning = (day.hourly[5] ?? 0) + (day.hourly[6] ?? 0);
    const afternoon = (day.hourly[14] ?? 0) + (day.hourly[15] ?? 0);
    expect(morning).toBeGreaterThan(afternoon * 3);
    const criticalRate = day.counts.criticals / day.counts.observations;
    expect(criticalRate).toBeGreaterThan(0.005);
    expect(criticalRate).toBeLessThan(0.04);
    expect(day.counts.observations).toBeGreaterThan(800);
    expect(day.counts.medicationOrders).toBeGreaterThan(50);
    expect(day.counts.admissions + day.counts.discharges).toBeGreaterThan(4);
  });
});
