// The ward simulator: two 30-bed adult medical wards with named patients, admissions,
// bed transfers and discharges, a morning-draw lab peak, LOINC/UCUM results with ~2 % criticals, final
// DiagnosticReports per panel and medication orders with stat/urgent/routine priorities.
//
// Deterministic: all choices come from a seeded PRNG and a simulated clock that advances by a fixed step
// per tick (rate × tick), independent of real-time jitter. Modes: real time (rate 1), accelerated
// (rate > 1) and burst (`burst(n)` writes n lab draws at once). It writes through the resource store, so
// topics fire exactly as for REST writes.
//
// Two clocks, kept apart: the simulated clock decides WHAT happens (the morning draw peak, afternoon
// admissions) and may run 60× fast; every resource is stamped with the wall clock (`clock`), so a result
// is never dated in the future and its age on screen is true.
import type pino from 'pino';
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { record, records, referenceOf } from '../../shared/fhir-json.ts';
import type { StoredResource } from '../base/types.ts';
import { DEMO_USERS, demoCareTeam, demoPractitioner } from '../demo-users.ts';
import type { ResourceStore } from '../store/resources.ts';
import type { Panel } from './catalog.ts';
import { labValue } from './lab-values.ts';
import type { LabValue } from './build.ts';
import { FAMILY_NAMES, GIVEN_NAMES, LABS, MEDICATIONS, PANELS } from './catalog.ts';
import {
  bedId,
  bedLocation,
  diagnosticReport,
  encounter,
  labObservation,
  medicationRequest,
  patient,
  wardLocation,
} from './build.ts';
import { writeDemoOrders } from './demo-orders.ts';
import { CONTEXT_KINDS, FORMULARY, type ContextKind, type Medication } from './formulary.ts';
import { ALLERGIES, allergy, contextObservations } from './pharmacy-context.ts';
import { createRandom } from './random.ts';

/** An Encounter's locations with the active one completed at `at` (a transfer or a discharge). */
function closeActiveLocation(enc: StoredResource, at: string): JsonRecord[] {
  return records(enc['location']).map((l) =>
    l['status'] === 'active' ? { ...l, status: 'completed', period: { ...record(l['period']), end: at } } : l,
  );
}

export interface SimulatorOptions {
  seed?: number;
  /** Simulated seconds per real second: 1 = real time, 60 = one simulated hour per minute. */
  rate?: number;
  /** Real milliseconds between ticks (default 1000). */
  tickMs?: number;
  /** Fraction of lab results that are critical (default 0.02). */
  criticalFraction?: number;
  bedsPerWard?: number;
  /** Initial occupancy (default 0.87 → 26 of 30 beds). */
  occupancy?: number;
  /** Simulated start instant (ISO or epoch ms); default: now. */
  startTime?: string | number;
  /** The wall clock resources are stamped with (default Date.now; tests fix it for reproducible output). */
  clock?: () => number;
  /** Write the pharmacist's flaggable demo orders at seed (docs/pharmacy.md); default off. */
  pharmacyDemo?: boolean;
  /** Start the clock when the server starts (the CLI does; tests usually drive it by hand). */
  autoStart?: boolean;
  logger?: pino.Logger;
}

export interface BedAssignment {
  bed: number;
  patientId: string;
  encounterId: string;
}

export interface SimulatorCounts {
  observations: number;
  reports: number;
  criticals: number;
  medicationOrders: number;
  admissions: number;
  discharges: number;
  transfers: number;
}

export interface Simulator {
  readonly wards: readonly string[];
  /** Create practitioners, wards, beds and the initial census unless already present (idempotent). */
  seed(): void;
  start(): void;
  stop(): void;
  isRunning(): boolean;
  /** Run the simulation forward by `simMs` simulated milliseconds, synchronously. */
  advance(simMs: number): SimulatorCounts;
  /** Write `draws` lab panels at once, spread over both wards (burst mode). */
  burst(draws: number): SimulatorCounts;
  /** A critical potassium, 6.8 mmol/L HH, for the named patient in the first bed of `ward`. */
  emitCriticalPotassium(ward?: string): StoredResource;
  /**
   * The demo's scripted critical: once per run (later calls return null), the K 6.8 above, and one
   * simulated hour later the lab's repeat draw for the same patient, a normal potassium.
   */
  emitDemoCritical(ward?: string): StoredResource | null;
  /**
   * The pharmacist's scripted stat order: once per run (later calls return null), IV furosemide for the
   * patient in the first bed of `ward`, with the weight and labs a pharmacist checks for it.
   */
  emitDemoStatOrder(ward?: string): StoredResource | null;
  census(ward: string): BedAssignment[];
  counts(): SimulatorCounts;
  now(): number;
}

export const WARDS = ['ward-a', 'ward-b'] as const;

/** The prescriber of a ward's orders (a Practitioner the seed creates). */
export const attendingName = (ward: string): string =>
  `Ward ${ward.replace('ward-', '').toUpperCase()} attending physician`;
const HOUR = 3_600_000;
/** The repeat draw after the scripted K 6.8: normal, so the alert shows a later normal result. */
const REPEAT_POTASSIUM: LabValue = { value: 4.4, interpretation: 'N' };

const zero = (): SimulatorCounts => ({
  observations: 0,
  reports: 0,
  criticals: 0,
  medicationOrders: 0,
  admissions: 0,
  discharges: 0,
  transfers: 0,
});

/** Hourly rates per ward (morning draw peak 05:00–07:30, admissions afternoon, discharges midday). */
function rates(hour: number): {
  draws: number;
  admissions: number;
  discharges: number;
  transfers: number;
  orders: number;
} {
  const morningDraw = hour >= 5 && hour < 7.5;
  return {
    draws: morningDraw ? 40 : 4,
    admissions: hour >= 12 && hour < 20 ? 0.45 : 0.1,
    discharges: hour >= 11 && hour < 17 ? 0.7 : 0.05,
    transfers: 0.06,
    orders: (hour >= 9 && hour < 12) || (hour >= 16 && hour < 20) ? 7 : 3,
  };
}

export function createSimulator(store: ResourceStore, options: SimulatorOptions = {}): Simulator {
  const random = createRandom(options.seed ?? 1);
  // The pharmacist's data (allergies, weights, labs for orders) draws from its own sequence, so the
  // census, results and orders of a seed stay what they were without it.
  const pharmacyRandom = createRandom(((options.seed ?? 1) + 0x9e3779b9) >>> 0);
  const rate = options.rate ?? 1;
  const tickMs = options.tickMs ?? 1000;
  const criticalFraction = options.criticalFraction ?? 0.02;
  const beds = options.bedsPerWard ?? 30;
  const occupancy = options.occupancy ?? 0.87;
  const log = options.logger;
  const clock = options.clock ?? Date.now;
  let simNow = options.startTime === undefined ? clock() : new Date(options.startTime).getTime();
  let timer: NodeJS.Timeout | null = null;
  /** The scripted critical of this run: its patient, and the simulated time of the repeat draw. */
  let demoCritical: { ward: string; patient: BedAssignment; repeatAt: number | null } | null = null;
  /** Whether this run's scripted stat order has been written. */
  let demoStatOrdered = false;
  const totals = zero();
  const censusByWard = new Map<string, Map<number, BedAssignment>>(WARDS.map((w) => [w, new Map()]));
  /** `<patient>|<kind>` of pharmacist context written in this run (formulary.ts `context`). */
  const contextWritten = new Set<string>();

  /** Resource timestamps: the wall clock, never the (possibly accelerated) simulated one. */
  const iso = (): string => new Date(clock()).toISOString();
  const wardCensus = (ward: string): Map<number, BedAssignment> => {
    const census = censusByWard.get(ward);
    if (!census) throw new Error(`unknown ward ${ward}`);
    return census;
  };

  function loadCensus(): void {
    for (const ward of WARDS) {
      const census = wardCensus(ward);
      census.clear();
      for (let bed = 1; bed <= beds; bed += 1) {
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
            census.set(bed, { bed, patientId: subject.replace('Patient/', ''), encounterId: enc.id });
          }
        }
      }
    }
  }

  function nextPatientNumber(): number {
    const row = store.db
      .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM resource_current WHERE type = 'Patient'")
      .get();
    return (row?.n ?? 0) + 1;
  }

  function admit(ward: string, bed: number, counts: SimulatorCounts): BedAssignment {
    const number = nextPatientNumber();
    const patientId = `pt-${String(number).padStart(4, '0')}`;
    const given = random.pick(GIVEN_NAMES);
    const family = random.pick(FAMILY_NAMES);
    const birthYear = random.int(1930, 2004);
    const birthDate = `${birthYear}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
    store.update(patient(patientId, ward, given, family, random.chance(0.5) ? 'female' : 'male', birthDate));
    const enc = store.update(
      encounter(`enc-${patientId}`, ward, patientId, bedId(ward, bed), iso()),
    ).resource;
    const assignment = { bed, patientId, encounterId: enc.id };
    // About one patient in eight has a recorded drug allergy.
    if (pharmacyRandom.chance(0.12)) {
      const kind = pharmacyRandom.pick(Object.values(ALLERGIES));
      store.create(allergy({ kind, ward, patientId, at: iso() }));
    }
    wardCensus(ward).set(bed, assignment);
    counts.admissions += 1;
    return assignment;
  }

  function discharge(ward: string, assignment: BedAssignment, counts: SimulatorCounts): void {
    const enc = store.find('Encounter', assignment.encounterId);
    wardCensus(ward).delete(assignment.bed);
    if (!enc) return;
    const at = iso();
    store.update({
      ...enc,
      status: 'finished',
      period: { ...record(enc['period']), end: at },
      location: closeActiveLocation(enc, at),
    });
    counts.discharges += 1;
  }

  function transfer(ward: string, assignment: BedAssignment, toBed: number, counts: SimulatorCounts): void {
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
    const census = wardCensus(ward);
    census.delete(assignment.bed);
    census.set(toBed, { ...assignment, bed: toBed });
    counts.transfers += 1;
  }

  function draw(ward: string, counts: SimulatorCounts, panel?: Panel, assignment?: BedAssignment): void {
    const census = [...wardCensus(ward).values()];
    const who = assignment ?? (census.length ? random.pick(census) : null);
    if (!who) return;
    const chosen = panel ?? pickPanel();
    const ids: string[] = [];
    for (const test of chosen.tests) {
      const critical = random.chance(criticalFraction);
      const result = labValue(random, test, critical);
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

  function pickPanel(): Panel {
    const total = PANELS.reduce((n, p) => n + p.weight, 0);
    let roll = random.next() * total;
    for (const panel of PANELS) {
      roll -= panel.weight;
      if (roll < 0) return panel;
    }
    return PANELS[0] as Panel;
  }

  function order(ward: string, counts: SimulatorCounts): void {
    const census = [...wardCensus(ward).values()];
    if (census.length === 0) return;
    const who = random.pick(census);
    const roll = random.next();
    const priority = roll < 0.02 ? 'stat' : roll < 0.1 ? 'urgent' : 'routine';
    placeOrder(ward, who, random.pick(MEDICATIONS), priority, counts);
  }

  /** An active order by the ward's attending for `who`, with the weight and labs it is checked against. */
  function placeOrder(
    ward: string,
    who: BedAssignment,
    medication: Medication,
    priority: 'routine' | 'urgent' | 'stat',
    counts: SimulatorCounts,
  ): StoredResource {
    ensureContext(ward, who, medication.context, counts);
    const placed = store.create(
      medicationRequest({
        medication,
        priority,
        ward,
        patientId: who.patientId,
        encounterId: who.encounterId,
        requester: `physician-${ward.replace('ward-', '')}`,
        requesterDisplay: attendingName(ward),
        at: iso(),
      }),
    );
    counts.medicationOrders += 1;
    return placed;
  }

  /** The weight and labs the pharmacist needs for an order, once per patient and kind in a run. */
  function ensureContext(
    ward: string,
    who: BedAssignment,
    kinds: readonly ContextKind[],
    counts: SimulatorCounts,
  ): void {
    for (const kind of kinds) {
      const key = `${who.patientId}|${kind}`;
      if (contextWritten.has(key)) continue;
      contextWritten.add(key);
      const at = iso();
      for (const obs of contextObservations(pharmacyRandom, kind, { ward, ...who, at })) {
        store.create(obs);
        counts.observations += 1;
      }
    }
  }

  /** The scripted repeat draw, once its simulated time has come (the patient may have left by then). */
  function repeatDraw(counts: SimulatorCounts): void {
    if (!demoCritical || demoCritical.repeatAt === null || simNow < demoCritical.repeatAt) return;
    const { ward, patient: who } = demoCritical;
    demoCritical.repeatAt = null;
    const still = [...wardCensus(ward).values()].some((b) => b.patientId === who.patientId);
    if (!still) return;
    const at = iso();
    const repeat = store.create(
      labObservation({
        test: LABS.potassium,
        result: REPEAT_POTASSIUM,
        ward,
        patientId: who.patientId,
        encounterId: who.encounterId,
        at,
      }),
    );
    counts.observations += 1;
    // Released like every other result: in a final report (here of the single test).
    store.create(
      diagnosticReport({
        panel: {
          loinc: LABS.potassium.loinc,
          display: LABS.potassium.display,
          tests: [LABS.potassium],
          weight: 0,
        },
        ward,
        patientId: who.patientId,
        encounterId: who.encounterId,
        observationIds: [repeat.id],
        at,
      }),
    );
    counts.reports += 1;
  }

  function step(stepMs: number, counts: SimulatorCounts): void {
    const hour = new Date(simNow).getUTCHours() + new Date(simNow).getUTCMinutes() / 60;
    const r = rates(hour);
    const hours = stepMs / HOUR;
    for (const ward of WARDS) {
      const census = wardCensus(ward);
      for (let i = random.poisson(r.discharges * hours); i > 0 && census.size > 0; i -= 1) {
        discharge(ward, random.pick([...census.values()]), counts);
      }
      for (let i = random.poisson(r.admissions * hours); i > 0; i -= 1) {
        const free = freeBeds(ward);
        if (free.length) admit(ward, random.pick(free), counts);
      }
      for (let i = random.poisson(r.transfers * hours); i > 0 && census.size > 0; i -= 1) {
        const free = freeBeds(ward);
        if (free.length) transfer(ward, random.pick([...census.values()]), random.pick(free), counts);
      }
      for (let i = random.poisson(r.draws * hours); i > 0; i -= 1) draw(ward, counts);
      for (let i = random.poisson(r.orders * hours); i > 0; i -= 1) order(ward, counts);
    }
  }

  const freeBeds = (ward: string): number[] => {
    const census = wardCensus(ward);
    return Array.from({ length: beds }, (_, i) => i + 1).filter((bed) => !census.has(bed));
  };

  const addTotals = (counts: SimulatorCounts): SimulatorCounts => {
    for (const key of Object.keys(totals) as (keyof SimulatorCounts)[]) totals[key] += counts[key];
    return counts;
  };

  const simulator: Simulator = {
    wards: WARDS,
    seed() {
      const counts = zero();
      // The demo people and who is on duty where (escalation targets); also added to a demo database
      // seeded before they existed.
      for (const entry of [...DEMO_USERS.map(demoPractitioner), ...demoCareTeam(WARDS)])
        if (!store.find(entry.resourceType, entry.id)) store.update(entry);
      if (!store.find('Location', 'ward-a')) {
        for (const ward of WARDS) {
          store.update({
            resourceType: 'Practitioner',
            id: `physician-${ward.replace('ward-', '')}`,
            active: true,
            name: [{ text: attendingName(ward) }],
          });
          store.update(wardLocation(ward));
          for (let bed = 1; bed <= beds; bed += 1) store.update(bedLocation(ward, bed));
        }
        loadCensus();
        for (const ward of WARDS) {
          const target = Math.round(beds * occupancy);
          // Bed 1 is always occupied so the demo's named patient is predictable.
          for (let bed = 1; bed <= beds && wardCensus(ward).size < target; bed += 1) {
            if (bed === 1 || random.chance(occupancy)) admit(ward, bed, counts);
          }
        }
        // Ward A beds after the first (bed 1 is the demo's critical potassium): the pharmacist's demo.
        const demoPatients = options.pharmacyDemo ? simulator.census('ward-a').filter((b) => b.bed > 1) : [];
        const demoOrders = writeDemoOrders(
          {
            create: (r) => {
              // Every Observation written counts, so the totals match what is stored.
              if (r.resourceType === 'Observation') totals.observations += 1;
              return store.create(r);
            },
            update: (r) => void store.update(r),
          },
          pharmacyRandom,
          demoPatients.map((b) => ({ ward: 'ward-a', ...b })),
          clock(),
        );
        // Their flagged values stay as written: the random orders never draw new ones for them.
        for (const b of demoPatients.slice(0, demoOrders)) {
          for (const kind of CONTEXT_KINDS) contextWritten.add(`${b.patientId}|${kind}`);
        }
        log?.info({ patients: counts.admissions, demoOrders }, 'simulator seeded');
      } else {
        loadCensus();
      }
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        try {
          simulator.advance(tickMs * rate);
        } catch (error) {
          log?.error({ err: error }, 'simulator tick failed');
        }
      }, tickMs);
      timer.unref();
      log?.info({ rate, tickMs }, 'simulator started');
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    isRunning: () => timer !== null,
    advance(simMs) {
      const counts = zero();
      // Fixed sub-steps of at most one simulated minute keep rates accurate at high acceleration.
      let remaining = simMs;
      while (remaining > 0) {
        const stepMs = Math.min(remaining, 60_000);
        step(stepMs, counts);
        simNow += stepMs;
        repeatDraw(counts);
        remaining -= stepMs;
      }
      return addTotals(counts);
    },
    burst(draws) {
      const counts = zero();
      for (let i = 0; i < draws; i += 1) draw(WARDS[i % WARDS.length] as string, counts);
      return addTotals(counts);
    },
    emitCriticalPotassium(ward = 'ward-a') {
      return emitPotassium(ward).obs;
    },
    emitDemoCritical(ward = 'ward-a') {
      if (demoCritical) return null;
      const { obs, who } = emitPotassium(ward);
      demoCritical = { ward, patient: who, repeatAt: simNow + HOUR };
      log?.info({ ward }, 'scripted demo critical emitted; repeat draw in one simulated hour');
      return obs;
    },
    emitDemoStatOrder(ward = 'ward-a') {
      if (demoStatOrdered) return null;
      demoStatOrdered = true;
      const counts = zero();
      const placed = placeOrder(ward, firstInBed(ward), FORMULARY.furosemide, 'stat', counts);
      addTotals(counts);
      log?.info({ ward }, 'scripted demo stat order written');
      return placed;
    },
    census: (ward) => [...wardCensus(ward).values()].sort((a, b) => a.bed - b.bed),
    counts: () => ({ ...totals }),
    now: () => simNow,
  };

  /** The patient in the first occupied bed of `ward` (one is admitted to bed 1 when the ward is empty). */
  function firstInBed(ward: string): BedAssignment {
    const who = [...wardCensus(ward).values()].sort((a, b) => a.bed - b.bed)[0];
    return who ?? admit(ward, 1, addTotals(zero()));
  }

  /** K 6.8 mmol/L HH for the patient in the first occupied bed of `ward`. */
  function emitPotassium(ward: string): { obs: StoredResource; who: BedAssignment } {
    const who = firstInBed(ward);
    const obs = store.create(
      labObservation({
        test: LABS.potassium,
        result: { value: 6.8, interpretation: 'HH' },
        ward,
        patientId: who.patientId,
        encounterId: who.encounterId,
        at: iso(),
      }),
    );
    totals.observations += 1;
    totals.criticals += 1;
    return { obs, who };
  }
  return simulator;
}
