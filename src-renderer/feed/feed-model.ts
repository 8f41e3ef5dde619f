// Pure feed logic (no React): ordering, filtering, pinning, unread counts. Kept O(n) per push so a
// 100,000-row feed stays within the push-to-pixel budget.
import type { AlertClass, AlertSummary } from '../../src-main/shared/api.ts';

export interface FeedFilters {
  tier: AlertClass | 'all';
  /** Focus resource type, e.g. "Observation". */
  type: string;
  /** Ward/location label as the host gave it, or 'all'. */
  location: string;
  /** Patient reference, or 'all'. */
  patient: string;
  search: string;
}

export const NO_FILTERS: FeedFilters = {
  tier: 'all',
  type: 'all',
  location: 'all',
  patient: 'all',
  search: '',
};

/** Newest first: later receivedAt first, then higher event number. */
export function newestFirst(a: AlertSummary, b: AlertSummary): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? 1 : -1;
  return Number(b.eventNumber) - Number(a.eventNumber);
}

/**
 * Insert or replace one alert in a newest-first list without re-sorting the whole list: one scan to
 * find an existing row, one binary search for the position, one copy.
 */
export function upsertAlert(list: readonly AlertSummary[], alert: AlertSummary): AlertSummary[] {
  const existing = list.findIndex((a) => a.id === alert.id);
  if (existing >= 0 && newestFirst(list[existing] as AlertSummary, alert) === 0) {
    const next = list.slice();
    next[existing] = alert;
    return next;
  }
  const rest = existing >= 0 ? [...list.slice(0, existing), ...list.slice(existing + 1)] : list;
  let lo = 0;
  let hi = rest.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (newestFirst(rest[mid] as AlertSummary, alert) < 0) lo = mid + 1;
    else hi = mid;
  }
  return [...rest.slice(0, lo), alert, ...rest.slice(lo)];
}

/** Merge an older page (paging with `before`) behind the current list, dropping duplicates. */
export function appendOlder(list: readonly AlertSummary[], older: readonly AlertSummary[]): AlertSummary[] {
  const ids = new Set(list.map((a) => a.id));
  return [...list, ...older.filter((a) => !ids.has(a.id))];
}

export const focusType = (alert: AlertSummary): string => alert.focus.split('/')[0] ?? 'Unknown';

export function isOpen(alert: AlertSummary): boolean {
  return alert.state !== 'acknowledged' && alert.state !== 'resolved';
}

/** Unacknowledged criticals: pinned above the feed until someone acknowledges them. */
export function pinnedCriticals(list: readonly AlertSummary[]): AlertSummary[] {
  return list.filter((a) => a.tier === 'critical' && isOpen(a));
}

export function matchesFilters(alert: AlertSummary, filters: FeedFilters, needle: string): boolean {
  if (filters.tier !== 'all' && alert.tier !== filters.tier) return false;
  if (filters.type !== 'all' && focusType(alert) !== filters.type) return false;
  if (filters.location !== 'all' && alert.location !== filters.location) return false;
  if (filters.patient !== 'all' && alert.patient?.reference !== filters.patient) return false;
  if (needle) {
    const hay =
      `${alert.headline}\u0000${alert.reason}\u0000${alert.patient?.name ?? ''}\u0000${alert.location ?? ''}\u0000${alert.focus}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

export function filterAlerts(list: readonly AlertSummary[], filters: FeedFilters): readonly AlertSummary[] {
  const needle = filters.search.trim().toLowerCase();
  if (
    filters.tier === 'all' &&
    filters.type === 'all' &&
    filters.location === 'all' &&
    filters.patient === 'all' &&
    !needle
  ) {
    return list;
  }
  return list.filter((a) => matchesFilters(a, filters, needle));
}

export interface UnreadCounts {
  total: number;
  critical: number;
  high: number;
  info: number;
  unclassified: number;
}

export function unreadCounts(list: readonly AlertSummary[]): UnreadCounts {
  const counts: UnreadCounts = { total: 0, critical: 0, high: 0, info: 0, unclassified: 0 };
  for (const a of list) {
    if (a.state !== 'new') continue;
    counts.total += 1;
    counts[a.tier] += 1;
  }
  return counts;
}

export interface Facets {
  types: string[];
  locations: string[];
  patients: { reference: string; name: string }[];
}

/**
 * Distinct filter values among the newest `scan` alerts (capped so a huge feed cannot build a huge menu,
 * and so a push into a 100,000-row feed does not rescan it all).
 */
export function facets(list: readonly AlertSummary[], cap = 200, scan = 5000): Facets {
  const types = new Set<string>();
  const locations = new Set<string>();
  const patients = new Map<string, string>();
  for (let i = 0; i < Math.min(list.length, scan); i += 1) {
    const a = list[i] as AlertSummary;
    types.add(focusType(a));
    if (a.location && locations.size < cap) locations.add(a.location);
    if (a.patient && patients.size < cap && !patients.has(a.patient.reference))
      patients.set(a.patient.reference, a.patient.name ?? a.patient.reference);
  }
  return {
    types: [...types].sort(),
    locations: [...locations].sort(),
    patients: [...patients]
      .map(([reference, name]) => ({ reference, name }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Minutes since the result against the 30-minute acknowledgement target (server timestamps). */
export const ACK_TARGET_MS = 30 * 60_000;
export function ackTimer(
  occurredAt: string,
  now: number,
): { elapsed: string; overdue: boolean; left: string } {
  const elapsedMs = Math.max(0, now - Date.parse(occurredAt));
  const fmt = (ms: number) => {
    const s = Math.floor(ms / 1000);
    const m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${String(s % 60).padStart(2, '0')}`;
  };
  const overdue = elapsedMs > ACK_TARGET_MS;
  return {
    elapsed: fmt(elapsedMs),
    overdue,
    left: overdue ? `${fmt(elapsedMs - ACK_TARGET_MS)} over` : `${fmt(ACK_TARGET_MS - elapsedMs)} left`,
  };
}

/** Rows per `listAlerts` page. */
export const ALERT_PAGE = 1000;

/**
 * Newest first, `pages` pages of ALERT_PAGE, each continuing `before` the last row of the previous one;
 * stops early at a short page (the host has no more).
 */
export async function loadAlertPages(
  listAlerts: (args: { limit: number; before?: string }) => Promise<AlertSummary[]>,
  pages: number,
): Promise<AlertSummary[]> {
  const all: AlertSummary[] = [];
  let before: string | undefined;
  for (let page = 0; page < pages; page += 1) {
    const rows = await listAlerts({ limit: ALERT_PAGE, ...(before ? { before } : {}) });
    all.push(...rows);
    if (rows.length < ALERT_PAGE) break;
    before = rows.at(-1)?.id;
  }
  return all;
}

/** Whether an older page may exist: every page asked for came back full. */
export function mayHaveOlder(loaded: number, pages: number): boolean {
  return loaded >= pages * ALERT_PAGE;
}
