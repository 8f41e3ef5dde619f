// Medication orders: the ward's attending prescribes for its patients, and the first order of a kind
// for a patient brings the weight and labs a pharmacist checks it against (formulary.ts `context`).
import type { StoredResource } from '../base/types.ts';
import { medicationRequest } from './build.ts';
import { MEDICATIONS } from './catalog.ts';
import type { BedAssignment } from './census.ts';
import type { ContextKind, Medication } from './formulary.ts';
import { kidneyPatient, rememberKidneyFunction } from './kidney-function.ts';
import { contextObservations } from './pharmacy-context.ts';
import type { SimWorld, SimulatorCounts } from './world.ts';

export type OrderPriority = 'routine' | 'urgent' | 'stat';

/** The prescriber of a ward's orders (a Practitioner the seed creates). */
export const attendingName = (ward: string): string =>
  `Ward ${ward.replace('ward-', '').toUpperCase()} attending physician`;

export interface Orders {
  /** A random order for a patient picked from `occupants`: 2 % stat, 8 % urgent, the rest routine. */
  random(ward: string, occupants: readonly BedAssignment[], counts: SimulatorCounts): void;
  /** An active order by the ward's attending for `who`, with the weight and labs it is checked against. */
  place(
    ward: string,
    who: BedAssignment,
    medication: Medication,
    priority: OrderPriority,
    counts: SimulatorCounts,
  ): StoredResource;
  /** Context of these kinds already exists for `patientId` (the demo orders' own values stay). */
  markContextWritten(patientId: string, kinds: readonly ContextKind[]): void;
}

export function createOrders(world: SimWorld): Orders {
  const { store, random, pharmacyRandom, iso } = world;
  /** `<patient>|<kind>` of pharmacist context written in this run. */
  const contextWritten = new Set<string>();

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
      const kidney = kidneyPatient(store, who.patientId, at);
      for (const obs of contextObservations(pharmacyRandom, kind, { ward, ...who, at, kidney })) {
        rememberKidneyFunction(world.kidney, obs);
        store.create(obs);
        counts.observations += 1;
      }
    }
  }

  const orders: Orders = {
    random(ward, occupants, counts) {
      if (occupants.length === 0) return;
      const who = random.pick(occupants);
      const roll = random.next();
      const priority = roll < 0.02 ? 'stat' : roll < 0.1 ? 'urgent' : 'routine';
      orders.place(ward, who, random.pick(MEDICATIONS), priority, counts);
    },
    place(ward, who, medication, priority, counts) {
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
    },
    markContextWritten(patientId, kinds) {
      for (const kind of kinds) contextWritten.add(`${patientId}|${kind}`);
    },
  };
  return orders;
}
