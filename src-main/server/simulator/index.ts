// The ward simulator: two 30-bed adult medical wards with named patients, admissions,
// bed transfers and discharges, a morning-draw lab peak, LOINC/UCUM results with ~2 % criticals, final
// DiagnosticReports per panel and medication orders with stat/urgent/routine priorities.
//
// Deterministic: all choices come from a seeded PRNG and a simulated clock that advances by a fixed step
// per tick (rate × tick), independent of real-time jitter. Modes: real time (rate 1), accelerated
// (rate > 1) and burst (`burst(n)` writes n lab draws at once). It writes through the resource store, so
// topics fire exactly as for REST writes.
//
// The parts: who lies in which bed (census.ts), lab results (results.ts), medication orders (orders.ts),
// the attendings' answers to the pharmacist (prescriber.ts), all writing through one `SimWorld`
// (world.ts); this file keeps the clock, the hourly rates and the demo's scripted events.
//
// Two clocks, kept apart: the simulated clock decides WHAT happens (the morning draw peak, afternoon
// admissions) and may run 60× fast; every resource is stamped with the wall clock (`clock`), so a result
// is never dated in the future and its age on screen is true.
import type pino from 'pino';
import type { StoredResource } from '../base/types.ts';
import { DEMO_USERS, demoCareTeam, demoPractitioner } from '../demo-users.ts';
import type { ResourceStore } from '../store/resources.ts';
import type { LabValue } from './build.ts';
import { bedLocation, wardLocation } from './build.ts';
import { LABS } from './catalog.ts';
import { createWardCensus, type BedAssignment } from './census.ts';
import { writeDemoOrders } from './demo-orders.ts';
import { CONTEXT_KINDS, FORMULARY } from './formulary.ts';
import { kidneyPatient, rememberKidneyFunction } from './kidney-function.ts';
import { attendingName, createOrders } from './orders.ts';
import { createPrescribers } from './prescriber.ts';
import { createRandom } from './random.ts';
import { drawPanel, releaseSingleResult, writeResult } from './results.ts';
import { zeroCounts as zero, type SimWorld, type SimulatorCounts } from './world.ts';

export type { BedAssignment } from './census.ts';
export type { SimulatorCounts } from './world.ts';

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
  /**
   * Simulated minutes before a ward's attending answers a pharmacist's question about an order
   * (prescriber.ts); null: never. Default 15 (15 s of a demo at 60×).
   */
  prescriberAnswerMinutes?: number | null;
  /** Start the clock when the server starts (the CLI does; tests usually drive it by hand). */
  autoStart?: boolean;
  logger?: pino.Logger;
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

const HOUR = 3_600_000;
/** How long a ward's attending takes to answer the pharmacist, in simulated minutes. */
const DEFAULT_ANSWER_MINUTES = 15;
/** The repeat draw after the scripted K 6.8: normal, so the alert shows a later normal result. */
const REPEAT_POTASSIUM: LabValue = { value: 4.4, interpretation: 'N' };

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
  const rate = options.rate ?? 1;
  const tickMs = options.tickMs ?? 1000;
  const criticalFraction = options.criticalFraction ?? 0.02;
  const beds = options.bedsPerWard ?? 30;
  const occupancy = options.occupancy ?? 0.87;
  const log = options.logger;
  const clock = options.clock ?? Date.now;
  const world: SimWorld = {
    store,
    random: createRandom(options.seed ?? 1),
    pharmacyRandom: createRandom(((options.seed ?? 1) + 0x9e3779b9) >>> 0),
    kidney: new Map(),
    iso: () => new Date(clock()).toISOString(),
  };
  const { random, iso } = world;
  const census = createWardCensus(world, WARDS, beds);
  const orders = createOrders(world);
  let simNow = options.startTime === undefined ? clock() : new Date(options.startTime).getTime();
  const answerMinutes =
    options.prescriberAnswerMinutes === undefined ? DEFAULT_ANSWER_MINUTES : options.prescriberAnswerMinutes;
  const prescribers = createPrescribers(world, {
    answerAfterMs: answerMinutes === null ? null : answerMinutes * 60_000,
    simNow: () => simNow,
  });
  let timer: NodeJS.Timeout | null = null;
  /** The scripted critical of this run: its patient, and the simulated time of the repeat draw. */
  let demoCritical: { ward: string; patient: BedAssignment; repeatAt: number | null } | null = null;
  /** Whether this run's scripted stat order has been written. */
  let demoStatOrdered = false;
  const totals = zero();
  const occupants = (ward: string): BedAssignment[] => [...census.of(ward).values()];

  /** The scripted repeat draw, once its simulated time has come (the patient may have left by then). */
  function repeatDraw(counts: SimulatorCounts): void {
    if (!demoCritical || demoCritical.repeatAt === null || simNow < demoCritical.repeatAt) return;
    const { ward, patient: who } = demoCritical;
    demoCritical.repeatAt = null;
    if (!occupants(ward).some((b) => b.patientId === who.patientId)) return;
    const at = iso();
    const repeat = writeResult(world, ward, who, LABS.potassium, REPEAT_POTASSIUM, at);
    counts.observations += 1;
    // Released like every other result: in a final report (here of the single test).
    releaseSingleResult(world, ward, who, LABS.potassium, repeat, at);
    counts.reports += 1;
  }

  function step(stepMs: number, counts: SimulatorCounts): void {
    const hour = new Date(simNow).getUTCHours() + new Date(simNow).getUTCMinutes() / 60;
    const r = rates(hour);
    const hours = stepMs / HOUR;
    for (const ward of WARDS) {
      const inWard = census.of(ward);
      for (let i = random.poisson(r.discharges * hours); i > 0 && inWard.size > 0; i -= 1) {
        census.discharge(ward, random.pick(occupants(ward)), counts);
      }
      for (let i = random.poisson(r.admissions * hours); i > 0; i -= 1) {
        const free = census.freeBeds(ward);
        if (free.length) census.admit(ward, random.pick(free), counts);
      }
      for (let i = random.poisson(r.transfers * hours); i > 0 && inWard.size > 0; i -= 1) {
        const free = census.freeBeds(ward);
        if (free.length) census.transfer(ward, random.pick(occupants(ward)), random.pick(free), counts);
      }
      for (let i = random.poisson(r.draws * hours); i > 0; i -= 1)
        drawPanel(world, criticalFraction, ward, occupants(ward), counts);
      for (let i = random.poisson(r.orders * hours); i > 0; i -= 1)
        orders.random(ward, occupants(ward), counts);
    }
  }

  const addTotals = (counts: SimulatorCounts): SimulatorCounts => {
    for (const key of Object.keys(totals) as (keyof SimulatorCounts)[]) totals[key] += counts[key];
    return counts;
  };

  /** The demo people, the wards and their beds, and the first census (a new database only). */
  function seedWards(counts: SimulatorCounts): void {
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
    census.load();
    for (const ward of WARDS) {
      const target = Math.round(beds * occupancy);
      // Bed 1 is always occupied so the demo's named patient is predictable.
      for (let bed = 1; bed <= beds && census.of(ward).size < target; bed += 1) {
        if (bed === 1 || random.chance(occupancy)) census.admit(ward, bed, counts);
      }
    }
  }

  /** Ward A beds after the first (bed 1 is the demo's critical potassium): the pharmacist's demo. */
  function seedDemoOrders(): number {
    const demoPatients = options.pharmacyDemo ? simulator.census('ward-a').filter((b) => b.bed > 1) : [];
    const demoOrders = writeDemoOrders(
      {
        create: (r) => {
          // Every Observation written counts, so the totals match what is stored.
          if (r.resourceType === 'Observation') totals.observations += 1;
          rememberKidneyFunction(world.kidney, r);
          return store.create(r);
        },
        update: (r) => void store.update(r),
      },
      world.pharmacyRandom,
      demoPatients.map((b) => ({
        ward: 'ward-a',
        ...b,
        kidney: kidneyPatient(store, b.patientId, world.iso()),
      })),
      clock(),
    );
    // Their flagged values stay as written: the random orders never draw new ones for them.
    for (const b of demoPatients.slice(0, demoOrders)) orders.markContextWritten(b.patientId, CONTEXT_KINDS);
    return demoOrders;
  }

  const simulator: Simulator = {
    wards: WARDS,
    seed() {
      const counts = zero();
      // The demo people and who is on duty where (escalation targets); also added to a demo database
      // seeded before they existed.
      for (const entry of [...DEMO_USERS.map(demoPractitioner), ...demoCareTeam(WARDS)])
        if (!store.find(entry.resourceType, entry.id)) store.update(entry);
      if (!store.find('Location', 'ward-a')) {
        seedWards(counts);
        const demoOrders = seedDemoOrders();
        log?.info({ patients: counts.admissions, demoOrders }, 'simulator seeded');
      } else {
        census.load();
        // A demo server started again: questions asked before it stopped are still answered.
        prescribers.resume();
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
        prescribers.answerDue(simNow);
        remaining -= stepMs;
      }
      return addTotals(counts);
    },
    burst(draws) {
      const counts = zero();
      for (let i = 0; i < draws; i += 1) {
        const ward = WARDS[i % WARDS.length] as string;
        drawPanel(world, criticalFraction, ward, occupants(ward), counts);
      }
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
      const placed = orders.place(ward, firstInBed(ward), FORMULARY.furosemide, 'stat', counts);
      addTotals(counts);
      log?.info({ ward }, 'scripted demo stat order written');
      return placed;
    },
    census: (ward) => occupants(ward).sort((a, b) => a.bed - b.bed),
    counts: () => ({ ...totals }),
    now: () => simNow,
  };

  /** The patient in the first occupied bed of `ward` (one is admitted to bed 1 when the ward is empty). */
  function firstInBed(ward: string): BedAssignment {
    const who = occupants(ward).sort((a, b) => a.bed - b.bed)[0];
    return who ?? census.admit(ward, 1, addTotals(zero()));
  }

  /** K 6.8 mmol/L HH for the patient in the first occupied bed of `ward`. */
  function emitPotassium(ward: string): { obs: StoredResource; who: BedAssignment } {
    const who = firstInBed(ward);
    const obs = writeResult(world, ward, who, LABS.potassium, { value: 6.8, interpretation: 'HH' }, iso());
    totals.observations += 1;
    totals.criticals += 1;
    return { obs, who };
  }
  return simulator;
}
