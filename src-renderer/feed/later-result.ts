// A later normal result of the same test for the same patient (an INR of 1.1 after the critical 5.6):
// shown prominently on the alert and its line in the critical list. It acknowledges nothing by itself —
// a person still decides. Read from the trend the host builds (same code, same patient). Pure.
import type { ObservationTrend, TrendPoint } from '../../src-main/shared/api.ts';

const when = (p: TrendPoint) => (p.at ? Date.parse(p.at) : Number.NaN);

/**
 * The newest result of the same test after `reference`, when the lab flagged it normal (N); null when
 * there is none, or when the newest later result is not normal (6.8, then 4.4, then 6.9 is no comfort).
 */
export function laterNormal(
  trend: ObservationTrend | null | undefined,
  reference: string,
): TrendPoint | null {
  const points = trend?.points ?? [];
  const self = points.find((p) => p.reference === reference);
  if (!self || Number.isNaN(when(self))) return null;
  const newest = points
    .filter((p) => p.reference !== reference && when(p) > when(self))
    .sort((a, b) => when(b) - when(a))[0];
  return newest?.interpretation === 'N' ? newest : null;
}

/**
 * How often the trends behind open criticals are re-read: never on a timer while a live subscription
 * pushes final lab reports (health `resultsPushed`; a `results` push re-reads them), every 30 s where
 * none does (a server without that topic, or its stream down), so a later result is never missed.
 */
export function trendRecheckInterval(resultsPushed: boolean): number | false {
  return resultsPushed ? false : 30_000;
}
