// The other half of the verdict: for every critical result, was its alert critical, told once (an
// "alert" line, an "unchecked" notice, or a summary that lists it), never twice, and was a second
// telling only the documented at-least-once window (killed after the notifier ran, before the mark).
import type Database from 'better-sqlite3';
import { isCriticalObservation, type ServerEvent } from './compare-events.ts';
import type { JsonlLine } from './monitor-jsonl.ts';

interface AlertRow {
  id: string;
  n: number;
  tier: string;
  state: string;
  at: string | null;
}

export interface NotificationVerdict {
  criticals: number;
  notifiedIndividually: number;
  summarised: number;
  unnotified: number;
  doubleNotified: number;
  renotifiedAfterCrash: number;
  missed: number;
  criticalMissed: number;
  uncheckedNotices: number;
}

/** What the JSONL told, per alert: "alert" lines, "unchecked" notices, and the alerts summaries listed. */
interface Told {
  alertLines: Map<string, number>;
  uncheckedLines: Map<string, number>;
  summarisedIds: Set<string>;
}

// Lines from before the notification kind existed count as "alert".
function toldByLines(lines: readonly JsonlLine[]): Told {
  const told: Told = { alertLines: new Map(), uncheckedLines: new Map(), summarisedIds: new Set() };
  for (const l of lines) {
    if (l.kind !== 'notification') continue;
    for (const id of l.alertIds ?? []) told.summarisedIds.add(id);
    if (typeof l.alertId !== 'string') continue;
    const into = l.notificationKind === 'unchecked' ? told.uncheckedLines : told.alertLines;
    if (
      l.notificationKind === 'alert' ||
      l.notificationKind === 'unchecked' ||
      l.notificationKind === undefined
    )
      into.set(l.alertId, (into.get(l.alertId) ?? 0) + 1);
  }
  return told;
}

function alertRows(cdb: Database.Database, key: string): AlertRow[] {
  return cdb
    .prepare(
      'SELECT id, event_number AS n, tier, notify_state AS state, notified_at AS at FROM alerts WHERE subscription_key = ?',
    )
    .all(key) as AlertRow[];
}

/** Alerts whose notification the monitor recorded as interrupted by a crash (audit "notify-interrupted"). */
function interruptedAlerts(cdb: Database.Database): Set<string> {
  const rows = cdb
    .prepare("SELECT DISTINCT alert_id AS id FROM audit_log WHERE action = 'notify-interrupted'")
    .all() as { id: string }[];
  return new Set(rows.map((r) => r.id));
}

/** Critical results (HH/LL) stored by the monitor but told in no way at all. */
function countMissed(
  server: readonly ServerEvent[],
  storedNumbers: ReadonlySet<number>,
  alertByNumber: ReadonlyMap<number, AlertRow>,
  told: Told,
): number {
  let missed = 0;
  for (const e of server) {
    if (!e.body || !isCriticalObservation(e.body) || !storedNumbers.has(e.n)) continue;
    const a = alertByNumber.get(e.n);
    const wasTold =
      a !== undefined &&
      ((told.alertLines.get(a.id) ?? 0) > 0 ||
        (told.uncheckedLines.get(a.id) ?? 0) > 0 ||
        told.summarisedIds.has(a.id) ||
        a.state === 'summarised');
    if (!wasTold) missed += 1;
  }
  return missed;
}

/** Critical results whose alert is missing or not classified critical. */
function countCriticalMissed(
  server: readonly ServerEvent[],
  alertByNumber: ReadonlyMap<number, AlertRow>,
): number {
  let criticalMissed = 0;
  for (const e of server) {
    if (e.body && isCriticalObservation(e.body)) {
      const a = alertByNumber.get(e.n);
      if (!a || a.tier !== 'critical') criticalMissed += 1;
    }
  }
  return criticalMissed;
}

export function compareNotifications(
  cdb: Database.Database,
  key: string,
  server: readonly ServerEvent[],
  storedNumbers: ReadonlySet<number>,
  lines: readonly JsonlLine[],
  problems: string[],
): NotificationVerdict {
  const alerts = alertRows(cdb, key);
  const alertByNumber = new Map(alerts.map((a) => [a.n, a]));
  const told = toldByLines(lines);
  const interrupted = interruptedAlerts(cdb);
  const criticals = alerts.filter((a) => a.tier === 'critical');
  const verdict: NotificationVerdict = {
    criticals: criticals.length,
    notifiedIndividually: 0,
    summarised: 0,
    unnotified: 0,
    doubleNotified: 0,
    renotifiedAfterCrash: 0,
    missed: countMissed(server, storedNumbers, alertByNumber, told),
    criticalMissed: countCriticalMissed(server, alertByNumber),
    uncheckedNotices: [...told.uncheckedLines.values()].reduce((a, n) => a + n, 0),
  };
  for (const a of criticals) {
    const count = told.alertLines.get(a.id) ?? 0;
    if (a.state === 'summarised' && a.at) verdict.summarised += 1;
    else if (a.state === 'notified' && a.at) verdict.notifiedIndividually += 1;
    else verdict.unnotified += 1;
    // A summary covers its alerts: an alert both summarised and individually notified is double.
    const deliveries = count + (a.state === 'summarised' ? 1 : 0);
    if (deliveries > 1) {
      if (interrupted.has(a.id)) verdict.renotifiedAfterCrash += 1;
      else verdict.doubleNotified += 1;
    }
    if (a.state === 'notified' && count === 0 && (told.uncheckedLines.get(a.id) ?? 0) === 0)
      problems.push(`alert ${a.id} marked notified without a line`);
  }
  return verdict;
}
