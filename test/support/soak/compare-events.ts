// The Jepsen-style half of the verdict: the server's event log for the monitor's subscription against
// the monitor's events table and its JSONL (lost, unexpected, accepted twice, cursor regressions, the
// final cursor), and whether every HH/LL result became a critical alert.
import type Database from 'better-sqlite3';
import type { JsonlLine } from './monitor-jsonl.ts';

export interface ServerEvent {
  n: number;
  focus: string;
  body: string | null;
}

export interface StoredEvent {
  n: number;
  focus: string | null;
}

/** The monitor's one subscription (its local key and the server's id); a problem when it has not exactly one. */
export function monitorSubscription(
  cdb: Database.Database,
  problems: string[],
): { key: string; remoteId: string; cursor: number } {
  const sub = cdb.prepare('SELECT key, remote_id AS remoteId, cursor FROM subscriptions').all() as {
    key: string;
    remoteId: string;
    cursor: number;
  }[];
  if (sub.length !== 1) problems.push(`expected one subscription in the monitor store, found ${sub.length}`);
  return sub[0] ?? { key: '', remoteId: '', cursor: 0 };
}

/** The server's events for a subscription, each with the body of the version it was about. */
export function serverEvents(sdb: Database.Database, remoteId: string): ServerEvent[] {
  return sdb
    .prepare(
      `SELECT e.event_number AS n, e.focus_type || '/' || e.focus_id AS focus, v.body AS body
       FROM subscription_event e LEFT JOIN resource_version v
         ON v.type = e.focus_type AND v.id = e.focus_id AND v.version_id = e.focus_version
       WHERE e.subscription_id = ? ORDER BY e.event_number`,
    )
    .all(remoteId) as ServerEvent[];
}

export function storedEvents(cdb: Database.Database, key: string): StoredEvent[] {
  return cdb
    .prepare('SELECT event_number AS n, focus FROM events WHERE subscription_key = ?')
    .all(key) as StoredEvent[];
}

/** Server events the monitor does not hold, and monitor events the server never logged. */
export function compareEvents(
  server: readonly ServerEvent[],
  stored: readonly StoredEvent[],
  problems: string[],
): { lost: number; unexpected: number } {
  const storedFocus = new Map(stored.map((e) => [e.n, e.focus]));
  const serverNumbers = new Set(server.map((e) => e.n));
  let lost = 0;
  for (const e of server) {
    if (!storedFocus.has(e.n)) lost += 1;
    else if (storedFocus.get(e.n) !== e.focus)
      problems.push(`event ${e.n}: focus ${storedFocus.get(e.n)} != ${e.focus}`);
  }
  return { lost, unexpected: stored.filter((e) => !serverNumbers.has(e.n)).length };
}

/** Event numbers the monitor accepted ("event" lines) more than once. */
export function acceptedTwice(lines: readonly JsonlLine[]): number {
  const accepted = new Map<number, number>();
  for (const l of lines)
    if (l.kind === 'event' && typeof l.eventNumber === 'number')
      accepted.set(l.eventNumber, (accepted.get(l.eventNumber) ?? 0) + 1);
  return [...accepted.values()].filter((n) => n > 1).length;
}

/** Samples where the stored cursor went down from the one before. */
export function cursorRegressions(samples: readonly number[]): number {
  let regressed = 0;
  for (let i = 1; i < samples.length; i += 1) if ((samples[i] ?? 0) < (samples[i - 1] ?? 0)) regressed += 1;
  return regressed;
}

/** The Observation carries an HH or LL interpretation: a critical the monitor must classify as one. */
export function isCriticalObservation(body: string): boolean {
  try {
    const resource = JSON.parse(body) as { interpretation?: { coding?: { code?: string }[] }[] };
    return (resource.interpretation ?? []).some((c) =>
      (c.coding ?? []).some((code) => code.code === 'HH' || code.code === 'LL'),
    );
  } catch {
    return false;
  }
}
