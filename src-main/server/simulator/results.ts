// Lab results: a panel drawn for a patient is one Observation per test (about `criticalFraction` of
// them critical; a creatinine with its eGFR beside it, kidney-function.ts) released in one final
// DiagnosticReport, as a laboratory does.
import type { StoredResource } from '../base/types.ts';
import type { LabValue } from './build.ts';
import { diagnosticReport, labObservation } from './build.ts';
import type { LabTest, Panel } from './catalog.ts';
import { LABS, PANELS } from './catalog.ts';
import type { BedAssignment } from './census.ts';
import { egfrOfCreatinine, kidneyPatient, renalPair } from './kidney-function.ts';
import { labValue } from './lab-values.ts';
import type { Random } from './random.ts';
import type { SimWorld, SimulatorCounts } from './world.ts';

/** A panel by its weight in the catalog (the basic metabolic panel most often). */
function pickPanel(random: Random): Panel {
  const total = PANELS.reduce((n, p) => n + p.weight, 0);
  let roll = random.next() * total;
  for (const panel of PANELS) {
    roll -= panel.weight;
    if (roll < 0) return panel;
  }
  return PANELS[0] as Panel;
}

/**
 * One draw on `ward`: `who` (else a patient picked from `occupants`) gets `panel` (else one picked by
 * weight); nothing when the ward is empty.
 */
export function drawPanel(
  world: SimWorld,
  criticalFraction: number,
  ward: string,
  occupants: readonly BedAssignment[],
  counts: SimulatorCounts,
  panel?: Panel,
  assignment?: BedAssignment,
): void {
  const { store, random, iso } = world;
  const who = assignment ?? (occupants.length ? random.pick(occupants) : null);
  if (!who) return;
  const chosen = panel ?? pickPanel(random);
  const ids: string[] = [];
  const write = (test: LabTest, result: LabValue) => {
    const obs = store.create(
      labObservation({
        test,
        result,
        ward,
        patientId: who.patientId,
        encounterId: who.encounterId,
        at: iso(),
      }),
    );
    ids.push(obs.id);
    counts.observations += 1;
    if (result.interpretation === 'HH' || result.interpretation === 'LL') counts.criticals += 1;
  };
  for (const test of chosen.tests) {
    const critical = random.chance(criticalFraction);
    const drawn = labValue(random, test, critical);
    if (test.loinc !== LABS.creatinine.loinc) {
      write(test, drawn);
      continue;
    }
    // A creatinine agrees with the patient's kidney function when it is known (the value drawn above
    // is then set aside, drawn all the same so that a seed's later choices stay what they were), and
    // comes with its eGFR.
    const known = world.kidney.get(who.patientId);
    const patient = kidneyPatient(store, who.patientId, iso());
    const [creatinine, egfr] =
      known === undefined ? [drawn, egfrOfCreatinine(drawn, patient)] : renalPair(known, patient);
    write(test, creatinine);
    write(LABS.egfr, egfr);
  }
  store.create(
    diagnosticReport({
      panel: chosen,
      ward,
      patientId: who.patientId,
      encounterId: who.encounterId,
      observationIds: ids,
      at: iso(),
    }),
  );
  counts.reports += 1;
}

/** One result of one test for `who`, written as given (the demo's scripted values). */
export function writeResult(
  world: SimWorld,
  ward: string,
  who: BedAssignment,
  test: LabTest,
  result: LabValue,
  at: string,
): StoredResource {
  return world.store.create(
    labObservation({ test, result, ward, patientId: who.patientId, encounterId: who.encounterId, at }),
  );
}

/** The final report of a single-test result (the lab's release of a repeat draw). */
export function releaseSingleResult(
  world: SimWorld,
  ward: string,
  who: BedAssignment,
  test: LabTest,
  observation: StoredResource,
  at: string,
): void {
  world.store.create(
    diagnosticReport({
      panel: { loinc: test.loinc, display: test.display, tests: [test], weight: 0 },
      ward,
      patientId: who.patientId,
      encounterId: who.encounterId,
      observationIds: [observation.id],
      at,
    }),
  );
}
