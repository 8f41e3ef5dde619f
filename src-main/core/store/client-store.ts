// The workstation store. The one rule that matters: an event, its alert row and the cursor that passes
// it commit in one transaction before anything downstream (rules, notifier, renderer) sees the event.
import type {
  AlertClass,
  AlertLifecycle,
  AlertState,
  AlertSummary,
  ResourceStatus,
  WritebackState,
} from '../../shared/api.ts';
import { migrate, openDatabase, type Db } from '../../lib/sqlite.ts';
import { CLIENT_MIGRATIONS } from './schema.ts';

export interface SubscriptionRecord {
  key: string;
  fhirBase: string;
  remoteId: string;
  topic: string;
  channel: 'sse' | 'websocket' | 'poll';
  endpoint: string | null;
  heartbeatSeconds: number;
  owner: string | null;
  cursor: number;
  sequenceMode: 'sequence' | 'no-sequence';
}

export interface IncomingEvent {
  eventNumber: number;
  focus: string | null;
  occurredAt: string | null;
}

export type EventSource = 'live' | 'replay' | 'recovery';

export interface CommitResult {
  /** Events newly stored, ascending. Only these may be shown or notified. */
  accepted: IncomingEvent[];
  duplicates: number;
  /** Missing range detected by this commit (live events only), if any. */
  gap: { first: number; last: number } | null;
  cursor: number;
}

export interface AlertClassification {
  tier: AlertClass;
  headline: string;
  reason: string;
  patientRef: string | null;
  patientName: string | null;
  location: string | null;
  fetchStatus: ResourceStatus;
}

interface AlertRow {
  id: string;
  subscription_key: string;
  event_number: number;
  topic: string;
  focus: string;
  tier: string;
  headline: string;
  reason: string;
  patient_ref: string | null;
  patient_name: string | null;
  location: string | null;
  occurred_at: string;
  received_at: string;
  state: string;
  fetch_status: string;
  notify_state: string;
  // Migration 2 (alerting, issue 5).
  notified_at?: string | null;
  acknowledged_by?: string | null;
  acknowledged_at?: string | null;
  ack_note?: string | null;
  summary?: string | null;
  rule_id?: string | null;
  seen_at?: string | null;
  seen_by?: string | null;
  escalated_at?: string | null;
  escalation_level?: number;
  resolved_at?: string | null;
  resolved_by?: string | null;
  writeback_state?: string;
  writeback_error?: string | null;
  writeback_ref?: string | null;
}

/** Timers of the closed loop, applied when rows are read (issue 5). */
export interface LifecycleConfig {
  /** Escalate a critical not acknowledged within this long after it was received. Default 10 min. */
  ackTimeoutMs: number;
  /** The critical-result communication target from the result time. Default 30 min. */
  targetMs: number;
}

const DEFAULT_LIFECYCLE: LifecycleConfig = { ackTimeoutMs: 10 * 60_000, targetMs: 30 * 60_000 };
const OPEN_STATES = new Set(['new', 'seen', 'escalated']);

function plus(iso: string, ms: number): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t + ms).toISOString();
}

function toLifecycle(row: AlertRow, config: LifecycleConfig): AlertLifecycle {
  const open = row.tier === 'critical' && OPEN_STATES.has(row.state);
  return {
    notifiedAt: row.notified_at ?? null,
    notifyState: row.notify_state,
    seenAt: row.seen_at ?? null,
    seenBy: row.seen_by ?? null,
    acknowledgedAt: row.acknowledged_at ?? null,
    acknowledgedBy: row.acknowledged_by ?? null,
    ackNote: row.ack_note ?? null,
    escalatedAt: row.escalated_at ?? null,
    escalationLevel: row.escalation_level ?? 0,
    ackDueAt: open ? plus(row.received_at, config.ackTimeoutMs) : null,
    targetDueAt: plus(row.occurred_at, config.targetMs),
    resolvedAt: row.resolved_at ?? null,
    resolvedBy: row.resolved_by ?? null,
    pinned: open,
    writeback: {
      state: (row.writeback_state ?? 'none') as WritebackState,
      error: row.writeback_error ?? null,
      reference: row.writeback_ref ?? null,
    },
  };
}

interface SubscriptionRow {
  key: string;
  fhir_base: string;
  remote_id: string;
  topic: string;
  channel: string;
  endpoint: string | null;
  heartbeat_seconds: number;
  owner: string | null;
  cursor: number;
  sequence_mode: string;
}

export function subscriptionKey(fhirBase: string, remoteId: string): string {
  return `${fhirBase}|${remoteId}`;
}

export function alertId(key: string, eventNumber: number): string {
  return `${key}:${eventNumber}`;
}

function toSubscription(row: SubscriptionRow): SubscriptionRecord {
  return {
    key: row.key,
    fhirBase: row.fhir_base,
    remoteId: row.remote_id,
    topic: row.topic,
    channel: row.channel as SubscriptionRecord['channel'],
    endpoint: row.endpoint,
    heartbeatSeconds: row.heartbeat_seconds,
    owner: row.owner,
    cursor: row.cursor,
    sequenceMode: row.sequence_mode as SubscriptionRecord['sequenceMode'],
  };
}

function toAlertWith(row: AlertRow, config: LifecycleConfig = DEFAULT_LIFECYCLE): AlertSummary {
  return {
    id: row.id,
    subscriptionKey: row.subscription_key,
    eventNumber: String(row.event_number),
    topic: row.topic,
    focus: row.focus,
    tier: row.tier as AlertClass,
    headline: row.headline,
    reason: row.reason,
    patient: row.patient_ref ? { reference: row.patient_ref, name: row.patient_name ?? undefined } : null,
    location: row.location,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    state: row.state as AlertState,
    fetch: row.fetch_status as ResourceStatus,
    summary: row.summary ?? null,
    ruleId: row.rule_id ?? null,
    lifecycle: toLifecycle(row, config),
  };
}

export type ClientStore = ReturnType<typeof openClientStore>;

export function openClientStore(path: string) {
  const db: Db = openDatabase(path, { synchronous: 'FULL' });
  migrate(db, 'client', CLIENT_MIGRATIONS);
  const now = () => new Date().toISOString();
  let lifecycle: LifecycleConfig = DEFAULT_LIFECYCLE;
  const toAlert = (row: AlertRow): AlertSummary => toAlertWith(row, lifecycle);

  const statements = {
    getSubscription: db.prepare<[string], SubscriptionRow>('SELECT * FROM subscriptions WHERE key = ?'),
    findSubscription: db.prepare<[string, string, string | null], SubscriptionRow>(
      'SELECT * FROM subscriptions WHERE fhir_base = ? AND topic = ? AND owner IS ? ORDER BY created_at DESC LIMIT 1',
    ),
    upsertSubscription: db.prepare(`
      INSERT INTO subscriptions (key, fhir_base, remote_id, topic, channel, endpoint, heartbeat_seconds, owner,
        cursor, sequence_mode, created_at, updated_at)
      VALUES (@key, @fhirBase, @remoteId, @topic, @channel, @endpoint, @heartbeatSeconds, @owner, @cursor,
        @sequenceMode, @now, @now)
      ON CONFLICT (key) DO UPDATE SET topic = excluded.topic, channel = excluded.channel,
        endpoint = excluded.endpoint, heartbeat_seconds = excluded.heartbeat_seconds, owner = excluded.owner,
        updated_at = excluded.updated_at`),
    deleteSubscription: db.prepare<[string]>('DELETE FROM subscriptions WHERE key = ?'),
    cursor: db.prepare<[string], { cursor: number }>('SELECT cursor FROM subscriptions WHERE key = ?'),
    advanceCursor: db.prepare<[number, string, string]>(
      'UPDATE subscriptions SET cursor = MAX(cursor, ?), updated_at = ? WHERE key = ?',
    ),
    insertEvent: db.prepare(`
      INSERT OR IGNORE INTO events (subscription_key, event_number, focus, occurred_at, received_at, source)
      VALUES (?, ?, ?, ?, ?, ?)`),
    insertAlert: db.prepare(`
      INSERT OR IGNORE INTO alerts (id, subscription_key, event_number, topic, focus, occurred_at, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    insertGap: db.prepare(`
      INSERT OR IGNORE INTO gaps (subscription_key, first_missing, last_missing, detected_at) VALUES (?, ?, ?, ?)`),
    openGaps: db.prepare<[string], { first_missing: number; last_missing: number }>(
      'SELECT first_missing, last_missing FROM gaps WHERE subscription_key = ? AND recovered_at IS NULL ORDER BY first_missing',
    ),
    closeGap: db.prepare<[string, string, number]>(
      'UPDATE gaps SET recovered_at = ? WHERE subscription_key = ? AND first_missing = ?',
    ),
    eventExists: db.prepare<[string, number], { one: number }>(
      'SELECT 1 AS one FROM events WHERE subscription_key = ? AND event_number = ?',
    ),
    getAlert: db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
    listAlerts: db.prepare<[number], AlertRow>(
      'SELECT * FROM alerts ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?',
    ),
    listAlertsBefore: db.prepare<[string, number, string, number], AlertRow>(`
      SELECT * FROM alerts WHERE (received_at, event_number, id) < (?, ?, ?)
      ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?`),
    pendingFetch: db.prepare<[], AlertRow>(
      "SELECT * FROM alerts WHERE fetch_status = 'pending' ORDER BY rowid",
    ),
    classify: db.prepare(`
      UPDATE alerts SET tier = @tier, headline = @headline, reason = @reason, patient_ref = @patientRef,
        patient_name = @patientName, location = @location, fetch_status = @fetchStatus,
        notify_state = CASE WHEN notify_state = 'pending' AND @interrupts = 0 THEN 'not-required' ELSE notify_state END
      WHERE id = @id`),
    claimNotification: db.prepare<[string]>(
      "UPDATE alerts SET notify_state = 'notifying' WHERE id = ? AND notify_state = 'pending'",
    ),
    markNotified: db.prepare<[string, string, string]>(
      'UPDATE alerts SET notify_state = ?, notified_at = ? WHERE id = ?',
    ),
    pendingNotifications: db.prepare<[], AlertRow>(
      "SELECT * FROM alerts WHERE notify_state IN ('pending', 'notifying') AND fetch_status <> 'pending' AND tier <> 'unclassified' ORDER BY rowid",
    ),
    setState: db.prepare<[string, string]>('UPDATE alerts SET state = ? WHERE id = ?'),
    acknowledge: db.prepare<[string, string, string | null, string]>(
      "UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, ack_note = ? WHERE id = ?",
    ),
    audit: db.prepare<[string, string | null, string, string | null, string | null]>(
      'INSERT INTO audit_log (at, alert_id, action, actor, detail) VALUES (?, ?, ?, ?, ?)',
    ),
    cacheGet: db.prepare<[string, string], { version_id: string | null; json: string }>(
      'SELECT version_id, json FROM resource_cache WHERE fhir_base = ? AND reference = ?',
    ),
    cachePut: db.prepare<[string, string, string | null, string, string]>(`
      INSERT INTO resource_cache (reference, fhir_base, version_id, fetched_at, json) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (reference) DO UPDATE SET fhir_base = excluded.fhir_base, version_id = excluded.version_id,
        fetched_at = excluded.fetched_at, json = excluded.json`),
  };

  /**
   * Commit events and advance the cursor in ONE transaction. Duplicates (number <= cursor or already
   * stored) are dropped; the cursor never moves backwards. Returns only the newly stored events.
   */
  const commitEvents = db.transaction(
    (key: string, topic: string, events: readonly IncomingEvent[], source: EventSource): CommitResult => {
      const sub = statements.getSubscription.get(key);
      if (!sub) throw new Error(`unknown subscription ${key}`);
      const receivedAt = now();
      const sorted = [...events].sort((a, b) => a.eventNumber - b.eventNumber);
      let cursor = sub.cursor;
      const accepted: IncomingEvent[] = [];
      let duplicates = 0;
      let gap: CommitResult['gap'] = null;
      for (const event of sorted) {
        // A replayed or recovered event below the cursor may still fill a recorded gap.
        const fillsGap = source !== 'live' && event.eventNumber <= cursor;
        if (!fillsGap && event.eventNumber <= cursor) {
          duplicates += 1;
          continue;
        }
        const inserted = statements.insertEvent.run(
          key,
          event.eventNumber,
          event.focus,
          event.occurredAt,
          receivedAt,
          source,
        );
        if (inserted.changes === 0) {
          duplicates += 1;
          continue;
        }
        if (event.eventNumber > cursor + 1 && source === 'live' && sub.sequence_mode === 'sequence') {
          gap = { first: cursor + 1, last: event.eventNumber - 1 };
          statements.insertGap.run(key, gap.first, gap.last, receivedAt);
        }
        if (event.focus) {
          statements.insertAlert.run(
            alertId(key, event.eventNumber),
            key,
            event.eventNumber,
            topic,
            event.focus,
            event.occurredAt ?? receivedAt,
            receivedAt,
          );
        }
        accepted.push(event);
        cursor = Math.max(cursor, event.eventNumber);
      }
      statements.advanceCursor.run(cursor, receivedAt, key);
      return { accepted, duplicates, gap, cursor };
    },
  );

  const findUnsequenced = db.prepare<[string, string | null, string | null], { one: number }>(
    'SELECT 1 AS one FROM events WHERE subscription_key = ? AND focus IS ? AND occurred_at IS ? LIMIT 1',
  );
  const setSequenceMode = db.prepare<[string, string, string]>(
    'UPDATE subscriptions SET sequence_mode = ?, updated_at = ? WHERE key = ?',
  );

  /**
   * For servers without usable event numbers (Medplum sends "0" for every event; a restarted HAPI
   * counts again from 1): identify an event by (focus, timestamp) instead, and number accepted events
   * locally. Same transaction rule as commitEvents: event, alert row and cursor together.
   */
  const commitUnsequenced = db.transaction(
    (
      key: string,
      topic: string,
      events: readonly Omit<IncomingEvent, 'eventNumber'>[],
      source: EventSource,
    ) => {
      const sub = statements.getSubscription.get(key);
      if (!sub) throw new Error(`unknown subscription ${key}`);
      const receivedAt = now();
      let cursor = sub.cursor;
      const accepted: IncomingEvent[] = [];
      let duplicates = 0;
      for (const event of events) {
        if (findUnsequenced.get(key, event.focus, event.occurredAt)) {
          duplicates += 1;
          continue;
        }
        cursor += 1;
        const numbered = { ...event, eventNumber: cursor };
        statements.insertEvent.run(key, cursor, event.focus, event.occurredAt, receivedAt, source);
        if (event.focus) {
          statements.insertAlert.run(
            alertId(key, cursor),
            key,
            cursor,
            topic,
            event.focus,
            event.occurredAt ?? receivedAt,
            receivedAt,
          );
        }
        accepted.push(numbered);
      }
      statements.advanceCursor.run(cursor, receivedAt, key);
      return { accepted, duplicates, gap: null, cursor } satisfies CommitResult;
    },
  );

  return {
    db,
    close: () => db.close(),
    /** Set the closed-loop timers used for `ackDueAt`/`targetDueAt` (issue 5). */
    configureLifecycle: (config: Partial<LifecycleConfig>) => {
      lifecycle = { ...lifecycle, ...config };
    },
    lifecycleConfig: (): LifecycleConfig => lifecycle,
    /** Map a raw alerts row (alerting queries) the same way as every other read. */
    rowToAlert: (row: unknown): AlertSummary => toAlert(row as AlertRow),

    getSubscription: (key: string): SubscriptionRecord | null => {
      const row = statements.getSubscription.get(key);
      return row ? toSubscription(row) : null;
    },
    findSubscription: (fhirBase: string, topic: string, owner: string | null): SubscriptionRecord | null => {
      const row = statements.findSubscription.get(fhirBase, topic, owner);
      return row ? toSubscription(row) : null;
    },
    saveSubscription: (
      record: Omit<SubscriptionRecord, 'key' | 'cursor' | 'sequenceMode'>,
    ): SubscriptionRecord => {
      const key = subscriptionKey(record.fhirBase, record.remoteId);
      statements.upsertSubscription.run({ ...record, key, cursor: 0, sequenceMode: 'sequence', now: now() });
      const saved = statements.getSubscription.get(key);
      if (!saved) throw new Error('subscription upsert failed');
      return toSubscription(saved);
    },
    deleteSubscription: (key: string) => statements.deleteSubscription.run(key),
    getCursor: (key: string): number => statements.cursor.get(key)?.cursor ?? 0,
    commitEvents,
    commitUnsequenced,
    setSequenceMode: (key: string, mode: 'sequence' | 'no-sequence') => setSequenceMode.run(mode, now(), key),

    openGaps: (key: string) =>
      statements.openGaps.all(key).map((g) => ({ first: g.first_missing, last: g.last_missing })),
    /** Close every open gap whose whole range is now stored. */
    closeFilledGaps: (key: string): number => {
      let closed = 0;
      for (const gap of statements.openGaps.all(key)) {
        let complete = true;
        for (let n = gap.first_missing; n <= gap.last_missing && complete; n += 1) {
          complete = statements.eventExists.get(key, n) !== undefined;
        }
        if (complete) {
          statements.closeGap.run(now(), key, gap.first_missing);
          closed += 1;
        }
      }
      return closed;
    },

    getAlert: (id: string): AlertSummary | null => {
      const row = statements.getAlert.get(id);
      return row ? toAlert(row) : null;
    },
    listAlerts: (limit: number, before?: string): AlertSummary[] => {
      if (before) {
        const anchor = statements.getAlert.get(before);
        if (!anchor) return [];
        return statements.listAlertsBefore
          .all(anchor.received_at, anchor.event_number, anchor.id, limit)
          .map(toAlert);
      }
      return statements.listAlerts.all(limit).map(toAlert);
    },
    alertsAwaitingFetch: (): AlertSummary[] => statements.pendingFetch.all().map(toAlert),
    saveClassification: (id: string, c: AlertClassification, interrupts: boolean): AlertSummary | null => {
      statements.classify.run({ id, ...c, interrupts: interrupts ? 1 : 0 });
      const row = statements.getAlert.get(id);
      return row ? toAlert(row) : null;
    },
    /** Claim the right to notify an alert; true exactly once per alert, across restarts. */
    claimNotification: (id: string): boolean => statements.claimNotification.run(id).changes === 1,
    markNotified: (id: string, how: 'notified' | 'summarised') => statements.markNotified.run(how, now(), id),
    alertsAwaitingNotification: (): Array<AlertSummary & { notifyState: string }> =>
      statements.pendingNotifications
        .all()
        .map((row) => ({ ...toAlert(row), notifyState: row.notify_state })),

    setAlertState: (id: string, state: AlertState, actor: string | null) =>
      db.transaction(() => {
        statements.setState.run(state, id);
        statements.audit.run(now(), id, `state:${state}`, actor, null);
      })(),
    acknowledge: (id: string, actor: string, note: string | null) =>
      db.transaction(() => {
        statements.acknowledge.run(actor, now(), note, id);
        // The note may contain clinical text: the audit row records that a note exists, not its content.
        statements.audit.run(now(), id, 'state:acknowledged', actor, note ? 'with read-back note' : null);
      })(),
    audit: (alertId: string | null, action: string, actor: string | null, detail: string | null) =>
      statements.audit.run(now(), alertId, action, actor, detail),

    cachedResource: (fhirBase: string, reference: string) =>
      statements.cacheGet.get(fhirBase, reference) ?? null,
    cacheResource: (fhirBase: string, reference: string, versionId: string | null, json: string) =>
      statements.cachePut.run(reference, fhirBase, versionId, now(), json),
  };
}
