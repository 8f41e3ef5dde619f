// Pure feed logic (no React): ordering, filtering, pinning, counts. Kept O(n) per push so a
// 100,000-row feed stays within the push-to-pixel budget.
//
// Action items (critical and high results and orders, and anything that could not be classified, which
// may be critical) are kept apart from information (admissions, transfers, discharges, routine orders:
// tier info). Information never counts as unread or as needing action.
import type { AlertClass, AlertSummary } from '../../src-main/shared/api.ts';
import { distinguisher, wardOf } from './identity.ts';

export type FeedShow = 'action' | 'information' | 'all';

export interface FeedFilters {
  /** Action items (default), information only, or everything. */
  show: FeedShow;
  tier: AlertClass | 'all';
  /** Focus resource type, e.g. "Observation". */
  type: string;
  /** Ward (never a bed: identity.ts wardOf), or 'all'. */
  location: string;
  /** Patient reference, or 'all'. */
  patient: string;
  search: string;
}

/** Everything, unfiltered. */
export const NO_FILTERS: FeedFilters = {
  show: 'all',
  tier: 'all',
  type: 'all',
  location: 'all',
  patient: 'all',
  search: '',
};

/** What the feed shows until the user chooses otherwise (and after "Clear filters"): action items. */
export const DEFAULT_FILTERS: FeedFilters = { ...NO_FILTERS, show: 'action' };

/** Something a person must act on, as opposed to information. */
export function isAction(alert: AlertSummary): boolean {
  return alert.tier !== 'info';
}

/** Newest first: later receivedAt first, then higher event number. */
export function newestFirst(a: AlertSummary, b: AlertSummary): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? 1 : -1;
  return Number(b.eventNumber) - Number(a.eventNumber);
}

/** How a list came from its predecessor by one upsert: what derives from it can follow the change. */
export interface ListChange {
  previous: readonly AlertSummary[];
  /** The row the upsert replaced, if any. */
  removed: AlertSummary | null;
  added: AlertSummary;
}

const changes = new WeakMap<readonly AlertSummary[], ListChange>();
/**
 * Alerts by id for a chain of lists made by upsertAlert: built once for a list that came from elsewhere
 * (a page load), then handed from each list to the next and kept up to date, so a push never scans the
 * list to find a row. Older lists of the chain share it (they are only ever replaced, never read back).
 */
const indexes = new WeakMap<readonly AlertSummary[], Map<string, AlertSummary>>();

/** The change that made `list` from its predecessor, when upsertAlert made it. */
export function changeOf(list: readonly AlertSummary[]): ListChange | null {
  return changes.get(list) ?? null;
}

/** Alerts of `list` by id (see `indexes`). */
export function alertIndex(list: readonly AlertSummary[]): ReadonlyMap<string, AlertSummary> {
  let index = indexes.get(list);
  if (!index) {
    index = new Map(list.map((a) => [a.id, a]));
    indexes.set(list, index);
  }
  return index;
}

/** The alert with this id in `list`, without scanning it (after the first look-up of a loaded list). */
export function findAlert(list: readonly AlertSummary[] | undefined, id: string | null): AlertSummary | null {
  if (!list || id === null) return null;
  return alertIndex(list).get(id) ?? null;
}

/** Position of `alert` in a newest-first list: the first row not newer than it (binary search). */
function positionOf(list: readonly AlertSummary[], alert: AlertSummary): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (newestFirst(list[mid] as AlertSummary, alert) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where `known` is in `list`: among the rows of its order key (binary search), else -1. */
function rowOf(list: readonly AlertSummary[], known: AlertSummary): number {
  for (let i = positionOf(list, known); i < list.length; i += 1) {
    const row = list[i] as AlertSummary;
    if (row.id === known.id) return i;
    if (newestFirst(row, known) !== 0) break;
  }
  // The index is ahead of this list (an older list of the chain was passed): look it up the slow way.
  return list.findIndex((a) => a.id === known.id);
}

/**
 * Insert or replace one alert in a newest-first list without re-sorting or scanning it: the existing
 * row is found by id (alertIndex) and by binary search, the position by binary search, then one copy.
 */
export function upsertAlert(list: readonly AlertSummary[], alert: AlertSummary): AlertSummary[] {
  const index = alertIndex(list) as Map<string, AlertSummary>;
  const known = index.get(alert.id);
  const existing = known ? rowOf(list, known) : -1;
  let next: AlertSummary[];
  if (existing >= 0 && newestFirst(list[existing] as AlertSummary, alert) === 0) {
    next = list.slice();
    next[existing] = alert;
  } else {
    const rest = existing >= 0 ? [...list.slice(0, existing), ...list.slice(existing + 1)] : list;
    const at = positionOf(rest, alert);
    next = [...rest.slice(0, at), alert, ...rest.slice(at)];
  }
  index.set(alert.id, alert);
  indexes.set(next, index);
  changes.set(next, {
    previous: list,
    removed: existing >= 0 ? (list[existing] ?? null) : null,
    added: alert,
  });
  return next;
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

/** Unacknowledged criticals: pinned above the feed until someone acknowledges them (triage.ts orders them). */
export function pinnedCriticals(list: readonly AlertSummary[]): AlertSummary[] {
  return list.filter((a) => a.tier === 'critical' && isOpen(a));
}

export function matchesFilters(alert: AlertSummary, filters: FeedFilters, needle: string): boolean {
  if (filters.show === 'action' && !isAction(alert)) return false;
  if (filters.show === 'information' && isAction(alert)) return false;
  if (filters.tier !== 'all' && alert.tier !== filters.tier) return false;
  if (filters.type !== 'all' && focusType(alert) !== filters.type) return false;
  if (filters.location !== 'all' && wardOf(alert) !== filters.location) return false;
  if (filters.patient !== 'all' && alert.patient?.reference !== filters.patient) return false;
  if (needle) {
    const p = alert.patient;
    const hay =
      `${alert.headline}\u0000${alert.reason}\u0000${p?.name ?? ''}\u0000${p?.mrn ?? ''}\u0000${p?.birthDate ?? ''}\u0000${alert.location ?? ''}\u0000${alert.focus}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

export function filterAlerts(list: readonly AlertSummary[], filters: FeedFilters): readonly AlertSummary[] {
  const needle = filters.search.trim().toLowerCase();
  if (
    filters.show === 'all' &&
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
  /** Unread action items (information is never unread). */
  total: number;
  critical: number;
  high: number;
  /** Always 0: information is never counted as unread. */
  info: number;
  unclassified: number;
}

/**
 * Nobody has opened it: new, or escalated without anyone having opened it (escalation changes its
 * state, not the fact that it is unread). Information is never unread.
 */
export function isUnread(a: AlertSummary): boolean {
  if (!isAction(a)) return false;
  return a.state === 'new' || (a.state === 'escalated' && !a.lifecycle?.seenAt);
}

export function unreadCounts(list: readonly AlertSummary[]): UnreadCounts {
  const counts: UnreadCounts = { total: 0, critical: 0, high: 0, info: 0, unclassified: 0 };
  for (const a of list) {
    if (!isUnread(a)) continue;
    counts.total += 1;
    counts[a.tier] += 1;
  }
  return counts;
}

/**
 * The counts every part of the screen shows (the header, the critical list, the window title), from
 * one function so they cannot disagree: unacknowledged criticals (the host's tray count counts the
 * same), of which escalated, and unread action items.
 */
export interface ActionCounts {
  openCritical: number;
  escalated: number;
  unread: number;
  information: number;
}

export function actionCounts(list: readonly AlertSummary[]): ActionCounts {
  const counts: ActionCounts = { openCritical: 0, escalated: 0, unread: 0, information: 0 };
  for (const a of list) countAlert(counts, a, 1);
  return counts;
}

/** Add (`sign` 1) or take away (-1) one alert's part of the counts: a push changes them by its row only. */
export function countAlert(counts: ActionCounts, a: AlertSummary, sign: 1 | -1): void {
  if (!isAction(a)) {
    counts.information += sign;
    return;
  }
  if (isUnread(a)) counts.unread += sign;
  if (a.tier === 'critical' && isOpen(a)) {
    counts.openCritical += sign;
    if ((a.lifecycle?.escalationLevel ?? 0) > 0 || a.state === 'escalated') counts.escalated += sign;
  }
}

export interface PatientFacet {
  reference: string;
  name: string;
  /** "MRN PT-0001" or "born 1951-07-04", when known. */
  distinguisher: string | null;
}

export interface Facets {
  types: string[];
  /** Wards, never beds. */
  locations: string[];
  patients: PatientFacet[];
}

/**
 * Distinct filter values among the newest `scan` alerts (capped so a huge feed cannot build a huge menu,
 * and so a push into a 100,000-row feed does not rescan it all).
 */
export function facets(list: readonly AlertSummary[], cap = 200, scan = 5000): Facets {
  const types = new Set<string>();
  const locations = new Set<string>();
  const patients = new Map<string, PatientFacet>();
  for (let i = 0; i < Math.min(list.length, scan); i += 1) {
    const a = list[i] as AlertSummary;
    types.add(focusType(a));
    const ward = wardOf(a);
    if (ward && locations.size < cap) locations.add(ward);
    if (a.patient && patients.size < cap && !patients.has(a.patient.reference))
      patients.set(a.patient.reference, {
        reference: a.patient.reference,
        name: a.patient.name ?? a.patient.reference,
        distinguisher: distinguisher(a.patient),
      });
  }
  return {
    types: [...types].sort(),
    locations: [...locations].sort(),
    patients: [...patients.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || (a.distinguisher ?? '').localeCompare(b.distinguisher ?? ''),
    ),
  };
}

const facetCache = new WeakMap<readonly AlertSummary[], Facets>();

/** Whether an alert's filter values are all already offered (then a push needs no new menu entries). */
function offered(f: Facets, a: AlertSummary): boolean {
  const ward = wardOf(a);
  return (
    f.types.includes(focusType(a)) &&
    (!ward || f.locations.includes(ward)) &&
    (!a.patient ||
      f.patients.some(
        (p) => p.reference === a.patient?.reference && p.name === (a.patient.name ?? p.reference),
      ))
  );
}

/**
 * facets(list), reused across a push whose row brings no new filter value (the common case: another
 * result for a patient, ward and type already offered), so a push does not rescan the newest 5,000.
 * A value whose last row has just left the scanned window stays offered until the next rescan.
 */
export function facetsOf(list: readonly AlertSummary[]): Facets {
  let f = facetCache.get(list);
  if (!f) {
    const change = changeOf(list);
    const before = change ? facetCache.get(change.previous) : undefined;
    f = change && before && offered(before, change.added) ? before : facets(list);
    facetCache.set(list, f);
  }
  return f;
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
