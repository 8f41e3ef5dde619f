import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { createSimulator } from '../../../../src-main/server/simulator/index.ts';
import { ckdEpi2021, kidneyPatient } from '../../../../src-main/server/simulator/kidney-function.ts';
import { createResourceStore } from '../../../../src-main/server/store/resources.ts';
import { SERVER_MIGRATIONS } from '../../../../src-main/server/store/schema.ts';

const WALL_CLOCK = Date.parse('2026-03-02T09:00:00Z');

function openStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sim-'));
  const db = openDatabase(join(dir, 'db.sqlite'), { synchronous: 'NORMAL' });
  migrate(db, 'server', SERVER_MIGRATIONS);
  return { dir, db, store: createResourceStore(db) };
}

function run(seed: number, hours: number) {
  const { dir, db, store } = openStore();
  // The wall clock is fixed so that two runs stamp their resources alike.
  const sim = createSimulator(store, { seed, startTime: '2026-03-02T00:00:00Z', clock: () => WALL_CLOCK });
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

  it('stamps results with the wall clock while the simulated clock runs ahead (never dated in the future)', () => {
    const { dir, db, store } = openStore();
    let wall = Date.parse('2026-03-02T09:00:00Z');
    const sim = createSimulator(store, { seed: 4, startTime: wall, clock: () => wall });
    sim.seed();
    // One real minute at 60×: an hour of simulated ward life, stamped within that real minute.
    wall += 60_000;
    sim.advance(3_600_000);
    expect(sim.now()).toBe(Date.parse('2026-03-02T10:00:00Z'));
    const stamps = db
      .prepare<[], { body: string }>("SELECT body FROM resource_version WHERE type = 'Observation'")
      .all()
      .map((row) => (JSON.parse(row.body) as { effectiveDateTime: string }).effectiveDateTime);
    expect(stamps.length).toBeGreaterThan(0);
    expect(new Set(stamps)).toEqual(new Set(['2026-03-02T09:01:00.000Z']));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the pharmacist's scripted stat order once per run, with what a pharmacist checks for it", () => {
    const { dir, db, store } = openStore();
    const sim = createSimulator(store, { seed: 5, criticalFraction: 0, startTime: '2026-03-02T01:00:00Z' });
    sim.seed();
    const first = sim.census('ward-a')[0];
    const order = sim.emitDemoStatOrder('ward-a');
    expect(sim.emitDemoStatOrder('ward-a')).toBeNull();
    expect(order).toMatchObject({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      priority: 'stat',
      subject: { reference: `Patient/${first?.patientId}` },
      meta: { security: [expect.objectContaining({ code: 'ward-a' })] },
    });
    expect(JSON.stringify(order?.['medicationCodeableConcept'])).toContain('furosemide');
    expect(order?.['dosageInstruction']).toEqual([
      expect.objectContaining({ doseAndRate: expect.any(Array) }),
    ]);
    // The weight and the labs furosemide is checked against, for that patient.
    const codes = db
      .prepare<[], { body: string }>("SELECT body FROM resource_version WHERE type = 'Observation'")
      .all()
      .map((row) => JSON.parse(row.body) as Record<string, unknown>)
      .filter((o) => JSON.stringify(o['subject']) === JSON.stringify(order?.['subject']))
      .map((o) => JSON.stringify(o['code']));
    for (const loinc of ['29463-7', '2823-3']) expect(codes.some((c) => c.includes(loinc))).toBe(true);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits the scripted demo critical once per run, and its normal repeat draw an hour (simulated) later', () => {
    const { dir, db, store } = openStore();
    // At night, when patients are rarely discharged (the repeat draw is skipped for one who left).
    const sim = createSimulator(store, { seed: 5, criticalFraction: 0, startTime: '2026-03-02T01:00:00Z' });
    sim.seed();
    const first = sim.emitDemoCritical('ward-a');
    expect(first).not.toBeNull();
    expect(sim.emitDemoCritical('ward-a')).toBeNull();
    const potassium = () =>
      db
        .prepare<[], { body: string }>("SELECT body FROM resource_version WHERE type = 'Observation'")
        .all()
        .map((row) => JSON.parse(row.body) as Record<string, unknown>)
        .filter((o) => JSON.stringify(o['code']).includes('2823-3'))
        .filter((o) => JSON.stringify(o['subject']) === JSON.stringify(first?.['subject']))
        .map((o) => [(o['valueQuantity'] as { value: number }).value, JSON.stringify(o['interpretation'])]);
    sim.advance(59 * 60_000);
    expect(potassium().map(([value]) => value)).toEqual([6.8]);
    sim.advance(60_000);
    const results = potassium();
    expect(results.map(([value]) => value)).toEqual([6.8, 4.4]);
    expect(results[1]?.[1]).toContain('"N"');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports an eGFR with every creatinine, agreeing with a kidney function written for an order', () => {
    const { dir, db, store } = openStore();
    const sim = createSimulator(store, {
      seed: 6,
      startTime: '2026-03-02T00:00:00Z',
      clock: () => WALL_CLOCK,
    });
    sim.seed();
    sim.advance(12 * 3_600_000);
    const rows = db
      .prepare<[], { body: string }>(
        "SELECT body FROM resource_version WHERE type IN ('Observation', 'DiagnosticReport') ORDER BY rowid",
      )
      .all()
      .map((row) => JSON.parse(row.body) as Record<string, unknown>);
    const byId = new Map(rows.map((r) => [`${String(r['resourceType'])}/${String(r['id'])}`, r]));
    const loinc = (r: Record<string, unknown> | undefined) =>
      (r?.['code'] as { coding: { code: string }[] } | undefined)?.coding[0]?.code;
    const value = (r: Record<string, unknown> | undefined) =>
      (r?.['valueQuantity'] as { value: number }).value;
    const subject = (r: Record<string, unknown> | undefined) => JSON.stringify(r?.['subject']);
    const panels = rows
      .filter((r) => r['resourceType'] === 'DiagnosticReport' && loinc(r) === '51990-0')
      .map((r) => (r['result'] as { reference: string }[]).map((ref) => byId.get(ref.reference)));
    expect(panels.length).toBeGreaterThan(20);
    for (const results of panels) {
      const creatinine = results.find((r) => loinc(r) === '2160-0');
      const egfr = results.find((r) => loinc(r) === '98979-8');
      expect(egfr, 'an eGFR in every metabolic panel').toBeDefined();
      expect(subject(egfr)).toBe(subject(creatinine));
      // CKD-EPI 2021 for the patient's age and sex at the draw, within 1 of rounding (reported 5–120).
      const patientId = (creatinine?.['subject'] as { reference: string }).reference.slice('Patient/'.length);
      const patient = kidneyPatient(store, patientId, String(creatinine?.['effectiveDateTime']));
      const expected = Math.min(120, Math.max(5, ckdEpi2021(value(creatinine), patient)));
      expect(Math.abs(value(egfr) - expected)).toBeLessThanOrEqual(1);
    }
    // A patient whose eGFR was written for an order (a result outside any panel) keeps that kidney
    // function in every later panel.
    const inPanel = new Set(panels.flat().map((r) => `Observation/${String(r?.['id'])}`));
    const written = new Map<string, number>();
    let checked = 0;
    for (const r of rows) {
      if (r['resourceType'] !== 'Observation' || loinc(r) !== '98979-8') continue;
      const context = written.get(subject(r));
      if (!inPanel.has(`Observation/${String(r['id'])}`)) written.set(subject(r), value(r));
      else if (context !== undefined) {
        expect(value(r)).toBe(context);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
