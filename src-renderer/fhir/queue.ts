// The pharmacist's worklist as shown, without React (unit-tested): how long an order has waited against
// its target, and the words for a review value. The list itself is sorted by the host (core/pharmacy).
import type { ReviewValue, WorklistItem } from '../../src-main/shared/api.ts';
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

/** "Weight 72.5 kg (14:05)", "eGFR not recorded". */
export function reviewValueText(value: ReviewValue | null, label: string, now: number = Date.now()): string {
  if (!value || value.value === null) return `${label} not recorded`;
  const unit = value.unit ? ` ${readableUnit(value.unit)}` : '';
  const flag = value.interpretation && value.interpretation !== 'N' ? ` ${value.interpretation}` : '';
  return `${label} ${value.value}${unit}${flag} (${timeText(value.at, now)})`;
}
