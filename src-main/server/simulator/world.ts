// What every part of the ward simulator writes with: the store, the seeded choices and the wall clock.
import type { ResourceStore } from '../store/resources.ts';
import type { KidneyFunctions } from './kidney-function.ts';
import type { Random } from './random.ts';

export interface SimWorld {
  store: ResourceStore;
  /** The census's, the results' and the orders' choices. */
  random: Random;
  /**
   * The pharmacist's data (allergies, weights, labs for orders) draws from its own sequence, so the
   * census, results and orders of a seed stay what they were without it.
   */
  pharmacyRandom: Random;
  /** Each patient's eGFR once one was written, so that later creatinine draws agree with it. */
  kidney: KidneyFunctions;
  /** Resource timestamps: the wall clock, never the (possibly accelerated) simulated one. */
  iso(): string;
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

export const zeroCounts = (): SimulatorCounts => ({
  observations: 0,
  reports: 0,
  criticals: 0,
  medicationOrders: 0,
  admissions: 0,
  discharges: 0,
  transfers: 0,
});
