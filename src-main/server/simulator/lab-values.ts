// One lab value drawn for a test: normal most of the time, sometimes high or low, critical when asked.
import type { LabValue } from './build.ts';
import type { LabTest } from './catalog.ts';
import type { Random } from './random.ts';

export function labValue(random: Random, test: LabTest, critical: boolean): LabValue {
  const round = (v: number): number => Number(v.toFixed(test.decimals));
  if (critical) {
    const high = test.criticalHigh !== null && (test.criticalLow === null || random.chance(0.5));
    if (high && test.criticalHigh !== null) {
      return { value: round(test.criticalHigh * (1.02 + random.next() * 0.12)), interpretation: 'HH' };
    }
    if (test.criticalLow !== null) {
      return { value: round(test.criticalLow * (0.98 - random.next() * 0.12)), interpretation: 'LL' };
    }
  }
  const roll = random.next();
  const span = test.high - test.low;
  if (roll < 0.08) return { value: round(test.high + random.next() * span * 0.5), interpretation: 'H' };
  if (roll < 0.15)
    return { value: round(Math.max(0, test.low - random.next() * span * 0.3)), interpretation: 'L' };
  return { value: round(test.low + random.next() * span), interpretation: 'N' };
}
