// The wards' beds and who lies in them: admissions, bed transfers and discharges, written as Patient,
// Encounter (and, for some, AllergyIntolerance) resources; the census is read back from the store when a
// simulator starts on an existing database.
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { record, records, referenceOf } from '../../shared/fhir-json.ts';
import type { StoredResource } from '../base/types.ts';
import { bedId, encounter, patient } from './build.ts';
import { FAMILY_NAMES, GIVEN_NAMES } from './catalog.ts';
import { ALLERGIES, allergy } from './pharmacy-context.ts';
import type { SimWorld, SimulatorCounts } from './world.ts';

export interface BedAssignment {
  bed: number;
  patientId: string;
  encounterId: string;
}

export interface WardCensus {
  /** Who is in which bed of `ward` (throws for a ward the simulator does not have). */
  of(ward: string): Map<number, BedAssignment>;
  /** Rebuild every ward's census from the in-progress Encounters in the store. */
  load(): void;
  freeBeds(ward: string): number[];
  admit(ward: string, bed: number, counts: SimulatorCounts): BedAssignment;
  discharge(ward: string, assignment: BedAssignment, counts: SimulatorCounts): void;
  transfer(ward: string, assignment: BedAssignment, toBed: number, counts: SimulatorCounts): void;
}

/** An Encounter's locations with the active one completed at `at` (a transfer or a discharge). */
function closeActiveLocation(enc: StoredResource, at: string): JsonRecord[] {
  return records(enc['location']).map((l) =>
    l['status'] === 'active' ? { ...l, status: 'completed', period: { ...record(l['period']), end: at } } : l,
  );
}

export function createWardCensus(world: SimWorld, wards: readonly string[], beds: number): WardCensus {
  const { store, random, pharmacyRandom, iso } = world;
  const byWard = new Map<string, Map<number, BedAssignment>>(wards.map((w) => [w, new Map()]));
  const of = (ward: string): Map<number, BedAssignment> => {
    const census = byWard.get(ward);
    if (!census) throw new Error(`unknown ward ${ward}`);
    return census;
  };

  /** The in-progress Encounter whose active location is `bed` of `ward`, as an assignment. */
  function occupantOf(ward: string, bed: number): BedAssignment | null {
    let found: BedAssignment | null = null;
    const rows = store.db
      .prepare<[string], { id: string }>(
        `SELECT r.id FROM resource_current r JOIN search_index s ON s.type = r.type AND s.id = r.id
         WHERE r.type = 'Encounter' AND r.deleted = 0 AND s.param = 'location' AND s.value = ?`,
      )
      .all(`Location/${bedId(ward, bed)}`);
    for (const row of rows) {
      const enc = store.find('Encounter', row.id);
      if (!enc) continue;
      const active = records(enc['location']).find((l) => l['status'] === 'active');
      const subject = referenceOf(enc['subject']);
      if (
        enc['status'] === 'in-progress' &&
        referenceOf(active?.['location']) === `Location/${bedId(ward, bed)}` &&
        subject
      ) {
        found = { bed, patientId: subject.replace('Patient/', ''), encounterId: enc.id };
      }
    }
    return found;
  }

  function nextPatientNumber(): number {
    const row = store.db
      .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM resource_current WHERE type = 'Patient'")
      .get();
    return (row?.n ?? 0) + 1;
  }

  return {
    of,
    load() {
      for (const ward of wards) {
        const census = of(ward);
        census.clear();
        for (let bed = 1; bed <= beds; bed += 1) {
          const occupant = occupantOf(ward, bed);
          if (occupant) census.set(bed, occupant);
        }
      }
    },
    freeBeds(ward) {
      const census = of(ward);
      return Array.from({ length: beds }, (_, i) => i + 1).filter((bed) => !census.has(bed));
    },
    admit(ward, bed, counts) {
      const number = nextPatientNumber();
      const patientId = `pt-${String(number).padStart(4, '0')}`;
      const given = random.pick(GIVEN_NAMES);
      const family = random.pick(FAMILY_NAMES);
      const birthYear = random.int(1930, 2004);
      const birthDate = `${birthYear}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
      store.update(
        patient(patientId, ward, given, family, random.chance(0.5) ? 'female' : 'male', birthDate),
      );
      const enc = store.update(
        encounter(`enc-${patientId}`, ward, patientId, bedId(ward, bed), iso()),
      ).resource;
      const assignment = { bed, patientId, encounterId: enc.id };
      // About one patient in eight has a recorded drug allergy.
      if (pharmacyRandom.chance(0.12)) {
        const kind = pharmacyRandom.pick(Object.values(ALLERGIES));
        store.create(allergy({ kind, ward, patientId, at: iso() }));
      }
      of(ward).set(bed, assignment);
      counts.admissions += 1;
      return assignment;
    },
    discharge(ward, assignment, counts) {
      const enc = store.find('Encounter', assignment.encounterId);
      of(ward).delete(assignment.bed);
      if (!enc) return;
      const at = iso();
      store.update({
        ...enc,
        status: 'finished',
        period: { ...record(enc['period']), end: at },
        location: closeActiveLocation(enc, at),
      });
      counts.discharges += 1;
    },
    transfer(ward, assignment, toBed, counts) {
      const enc = store.find('Encounter', assignment.encounterId);
      if (!enc) return;
      const at = iso();
      const locations = closeActiveLocation(enc, at);
      locations.push({
        location: { reference: `Location/${bedId(ward, toBed)}` },
        status: 'active',
        period: { start: at },
      });
      store.update({ ...enc, location: locations });
      const census = of(ward);
      census.delete(assignment.bed);
      census.set(toBed, { ...assignment, bed: toBed });
      counts.transfers += 1;
    },
  };
}
