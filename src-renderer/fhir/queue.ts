// The pharmacist's worklist as shown, without React (unit-tested): how long an order has waited against
// its target, the words for a review value, and which order j/k open next. The list itself is sorted by
// the host (core/pharmacy).
import type { PrescriberAnswer, ReviewValue, WorklistItem } from '../../src-main/shared/api.ts';
import { readableUnit } from '../../src-main/shared/fhir-json.ts';
import { durationText, timeText } from '../format/time.ts';

export interface WaitState {
  /** "waiting 12 min of 15 min" */
  text: string;
  /** Past its target. */
  overdue: boolean;
}

export function waitState(
  item: Pick<WorklistItem, 'waitingSince' | 'dueAt' | 'targetMinutes'>,
  now: number,
  options: { held?: boolean } = {},
): WaitState {
  const waited = now - Date.parse(item.waitingSince);
  // On hold for the prescriber's answer: the pharmacist's target is not running.
  if (options.held)
    return { text: `waiting for the prescriber · ordered ${durationText(waited)} ago`, overdue: false };
  const overdue = now > Date.parse(item.dueAt);
  const text = `waiting ${durationText(waited)} · target ${item.targetMinutes} min`;
  return { text: overdue ? `${text} · OVERDUE` : text, overdue };
}

/** "Ward A attending physician answered at 14:05" (who and when, without the words). */
export function answerHeading(answer: PrescriberAnswer, now: number = Date.now()): string {
  const when = answer.at ? ` at ${timeText(answer.at, now)}` : '';
  return `${answer.by ?? 'The prescriber'} answered${when}`;
}

/** "Weight 72.5 kg (14:05)", "eGFR not recorded". */
export function reviewValueText(value: ReviewValue | null, label: string, now: number = Date.now()): string {
  if (!value || value.value === null) return `${label} not recorded`;
  const unit = value.unit ? ` ${readableUnit(value.unit)}` : '';
  const flag = value.interpretation && value.interpretation !== 'N' ? ` ${value.interpretation}` : '';
  return `${label} ${value.value}${unit}${flag} (${timeText(value.at, now)})`;
}

/** The order `delta` rows from `selected` in `orders` (the first when none is selected). */
export function orderAfter(orders: readonly string[], selected: string | null, delta: number): string | null {
  if (orders.length === 0) return null;
  const from = selected === null ? -1 : orders.indexOf(selected);
  if (from < 0) return orders[0] ?? null;
  return orders[Math.max(0, Math.min(orders.length - 1, from + delta))] ?? null;
}
