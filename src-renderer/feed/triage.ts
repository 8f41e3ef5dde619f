// The critical list, built for triage: every unacknowledged critical, the most overdue first, grouped
// by patient so one patient with three results is one block, one line per alert. Pure, unit-tested.
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { ACK_TARGET_MS, isOpen } from './feed-model.ts';

/** Why a line stands out: past the 30-minute target, escalated (not acknowledged in time), or new. */
export type Urgency = 'overdue' | 'escalated' | 'waiting';

export interface TriageLine {
  alert: AlertSummary;
  urgency: Urgency;
  /** How many times it was escalated (0 = never). */
  escalationLevel: number;
  /** Since the result (server time), ms. */
  ageMs: number;
}

export interface PatientBlock {
  /** The patient reference, or the alert id for an alert about no known patient. */
  key: string;
  patient: AlertSummary['patient'];
  location: string | null;
  lines: TriageLine[];
}

const RANK: Record<Urgency, number> = { overdue: 0, escalated: 1, waiting: 2 };

export function urgencyOf(alert: AlertSummary, now: number): Urgency {
  if (now - Date.parse(alert.occurredAt) > ACK_TARGET_MS) return 'overdue';
  if (alert.state === 'escalated' || (alert.lifecycle?.escalationLevel ?? 0) > 0) return 'escalated';
  return 'waiting';
}

/** Most urgent first, then the oldest result first. */
export function byUrgency(a: TriageLine, b: TriageLine): number {
  return RANK[a.urgency] - RANK[b.urgency] || b.ageMs - a.ageMs;
}

/** Unacknowledged criticals: on screen until someone acknowledges them. */
export function openCriticals(list: readonly AlertSummary[]): AlertSummary[] {
  return list.filter((a) => a.tier === 'critical' && isOpen(a));
}

/** The critical list: blocks by patient, the block with the most urgent line first. */
export function triage(list: readonly AlertSummary[], now: number): PatientBlock[] {
  const blocks = new Map<string, PatientBlock>();
  for (const alert of openCriticals(list)) {
    const key = alert.patient?.reference ?? alert.id;
    const block = blocks.get(key) ?? { key, patient: alert.patient, location: alert.location, lines: [] };
    block.lines.push({
      alert,
      urgency: urgencyOf(alert, now),
      escalationLevel: alert.lifecycle?.escalationLevel ?? 0,
      ageMs: Math.max(0, now - Date.parse(alert.occurredAt)),
    });
    blocks.set(key, block);
  }
  const sorted = [...blocks.values()];
  for (const block of sorted) block.lines.sort(byUrgency);
  return sorted.sort((a, b) => byUrgency(a.lines[0] as TriageLine, b.lines[0] as TriageLine));
}

/** Counts of the critical list's marks, for its heading. */
export function triageCounts(blocks: readonly PatientBlock[]): {
  alerts: number;
  patients: number;
  overdue: number;
  escalated: number;
} {
  const lines = blocks.flatMap((b) => b.lines);
  return {
    alerts: lines.length,
    patients: blocks.length,
    overdue: lines.filter((l) => l.urgency === 'overdue').length,
    escalated: lines.filter((l) => l.escalationLevel > 0).length,
  };
}
