// The workstation store. The one rule that matters: an event, its alert row and the cursor that passes
// it commit in one transaction before anything downstream (rules, notifier, renderer) sees the event.
//
// This file owns the subscriptions, the event log, gaps, the cursor and the resource cache. Alert rows,
// the audit log and the write-back outbox belong to `alerts` (alert-store.ts), whose insert the event
// commit calls inside its own transaction: one database, one transaction, one owner per table.
import type { AlertSummary } from '../../shared/api.ts';
import type { FhirJsonResource } from '../../shared/fhir-json.ts';
import { migrate, openDatabase, type Db } from '../../lib/sqlite.ts';
import { cachedPart } from './cached-part.ts';
import { DEFAULT_LIFECYCLE_TIMERS, type LifecycleTimers } from './alert-rows.ts';
import { CLOSED_LOOP_TOPICS, type SharedStep } from './alert-sharing.ts';
import { createAlertStore, type AlertClassification, type AlertStore, type NewAlert } from './alert-store.ts';
import { RESULT_NEWS_TOPICS } from './result-news.ts';
import { CLIENT_MIGRATIONS } from './schema.ts';
import { createRaisedNotificationStore } from './raised-notifications.ts';
import { createReadBackStore, type ReadBack } from './read-backs.ts';
import { createServerFactsStore } from './server-facts.ts';

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
  /** When this workstation first stored it: the server delivers nothing written before then. */
  createdAt: string;
}

export interface IncomingEvent {
  eventNumber: number;
  focus: string | null;
  occurredAt: string | null;
  /** The focus version the event reports (`meta.versionId`), when the server gives one. */
  version?: string | null;
}

export type EventSource = 'live' | 'replay' | 'recovery';

export interface CommitResult {
  /** Events newly stored, ascending. Only these may be shown or notified. */
  accepted: IncomingEvent[];
  /** New alerts the accepted events created (to enrich). */
  alertIds: string[];
  /**
   * Existing alerts a later event named (a new version of the result, or the same version again
   * live: Medplum notifies a delete with the last version). Marked in the same transaction; their
   * focus is read again before anything changes.
   */
  recheck: string[];
  duplicates: number;
  /** Missing range detected by this commit (live events only), if any. */
  gap: { first: number; last: number } | null;
  cursor: number;
}

export interface ClientStoreOptions {
  /** The closed loop's timers (ackDueAt, targetDueAt, escalation). Default 10 and 30 minutes. */
  lifecycle?: LifecycleTimers;
}

/** A fetched resource to keep in the short-lived cache (what is kept: cachedPart; pruned after days). */
export interface CachedResource {
  fhirBase: string;
  reference: string;
  resource: FhirJsonResource;
}

/** What enrichment learned about one alert, to store (saveEnrichment, saveEnrichments). */
export interface EnrichmentToSave {
  id: string;
  classification: AlertClassification;
  /** The tier interrupts this user: the alert is owed a notification. */
  interrupts: boolean;
  resource: CachedResource | null;
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
  created_at: string;
  retired_at: string | null;
}

export function subscriptionKey(fhirBase: string, remoteId: string): string {
  return `${fhirBase}|${remoteId}`;
}

export function alertId(key: string, eventNumber: number): string {
  return `${key}:${eventNumber}`;
}

/** The alert row of an accepted event with a focus; the result time falls back to the commit time. */
function newAlert(
  key: string,
  topic: string,
  event: IncomingEvent & { focus: string },
  receivedAt: string,
): NewAlert {
  return {
    id: alertId(key, event.eventNumber),
    subscriptionKey: key,
    eventNumber: event.eventNumber,
    topic,
    focus: event.focus,
    occurredAt: event.occurredAt ?? receivedAt,
    receivedAt,
  };
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
    createdAt: row.created_at,
  };
}

export type ClientStore = ReturnType<typeof openClientStore>;

export function openClientStore(path: string, options: ClientStoreOptions = {}) {
  const db: Db = openDatabase(path, { synchronous: 'FULL' });
  migrate(db, 'client', CLIENT_MIGRATIONS);
  const now = () => new Date().toISOString();
  const alerts: AlertStore = createAlertStore(db, options.lifecycle ?? DEFAULT_LIFECYCLE_TIMERS);

  const statements = {
    getSubscription: db.prepare<[string], SubscriptionRow>('SELECT * FROM subscriptions WHERE key = ?'),
    findSubscription: db.prepare<[string, string, string | null], SubscriptionRow>(`
      SELECT * FROM subscriptions WHERE fhir_base = ? AND topic = ? AND owner IS ? AND retired_at IS NULL
      ORDER BY created_at DESC LIMIT 1`),
    upsertSubscription: db.prepare(`
      INSERT INTO subscriptions (key, fhir_base, remote_id, topic, channel, endpoint, heartbeat_seconds, owner,
        cursor, sequence_mode, created_at, updated_at)
      VALUES (@key, @fhirBase, @remoteId, @topic, @channel, @endpoint, @heartbeatSeconds, @owner, @cursor,
        @sequenceMode, @now, @now)
      ON CONFLICT (key) DO UPDATE SET topic = excluded.topic, channel = excluded.channel,
        endpoint = excluded.endpoint, heartbeat_seconds = excluded.heartbeat_seconds, owner = excluded.owner,
        updated_at = excluded.updated_at`),
    retireSubscription: db.prepare<[string, string, string]>(
      'UPDATE subscriptions SET retired_at = ?, updated_at = ? WHERE key = ? AND retired_at IS NULL',
    ),
    cursor: db.prepare<[string], { cursor: number }>('SELECT cursor FROM subscriptions WHERE key = ?'),
    advanceCursor: db.prepare<[number, string, string]>(
      'UPDATE subscriptions SET cursor = MAX(cursor, ?), updated_at = ? WHERE key = ?',
    ),
    insertEvent: db.prepare(`
      INSERT OR IGNORE INTO events (subscription_key, event_number, focus, occurred_at, received_at, source,
        version)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    // One version of one focus is one event, whichever subscription of this server, topic and user it
    // came through (a re-created subscription, a reconciliation query).
    versionSeen: db.prepare<[string, string, string | null, string, string], { one: number }>(`
      SELECT 1 AS one FROM events e JOIN subscriptions s ON s.key = e.subscription_key
      WHERE s.fhir_base = ? AND s.topic = ? AND s.owner IS ? AND e.focus = ? AND e.version = ? LIMIT 1`),
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
    cacheGet: db.prepare<[string, string], { version_id: string | null; json: string }>(
      'SELECT version_id, json FROM resource_cache WHERE fhir_base = ? AND reference = ?',
    ),
    cachePut: db.prepare<[string, string, string | null, string, string]>(`
      INSERT INTO resource_cache (reference, fhir_base, version_id, fetched_at, json) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (reference) DO UPDATE SET fhir_base = excluded.fhir_base, version_id = excluded.version_id,
        fetched_at = excluded.fetched_at, json = excluded.json`),
  };

  const cacheResource = (fhirBase: string, reference: string, versionId: string | null, json: string) =>
    statements.cachePut.run(reference, fhirBase, versionId, now(), json);

  /** The fetched resource into the cache and the classification onto the alert (inside a transaction). */
  const saveOneEnrichment = (e: EnrichmentToSave): AlertSummary | null => {
    if (e.resource) {
      const part = cachedPart(e.resource.resource);
      cacheResource(
        e.resource.fhirBase,
        e.resource.reference,
        part.meta.versionId ?? null,
        JSON.stringify(part),
      );
    }
    return alerts.saveClassification(e.id, e.classification, e.interrupts);
  };

  /** Whether this server, topic and user already have an event for this version of the focus. */
  const versionKnown = (sub: SubscriptionRow, focus: string | null, version: string | null | undefined) =>
    focus !== null &&
    version !== null &&
    version !== undefined &&
    statements.versionSeen.get(sub.fhir_base, sub.topic, sub.owner, focus, version) !== undefined;

  /**
   * The alert side of an accepted event: a new alert, or, when the focus already has one, that alert
   * marked to be checked again (a result that was updated is the same alert with its new value).
   */
  function attachAlert(
    sub: SubscriptionRow,
    topic: string,
    event: IncomingEvent,
    receivedAt: string,
    out: { alertIds: string[]; recheck: string[] },
  ): void {
    if (!event.focus) return;
    // A closed-loop record (another workstation acknowledged, resolved or escalated): kept to be
    // applied after the commit, never an alert of its own (alert-sharing.ts).
    if (CLOSED_LOOP_TOPICS.has(topic)) {
      alerts.sharing.recordLoopEvent(sub.key, event.eventNumber, topic, event.focus, receivedAt);
      return;
    }
    // A final report: news that results changed (result-news.ts), told after the commit; no alert.
    if (RESULT_NEWS_TOPICS.has(topic)) return;
    const existing = alerts.alertForFocus(sub.fhir_base, sub.owner, topic, event.focus);
    if (existing === null) {
      alerts.insertForEvent(newAlert(sub.key, topic, { ...event, focus: event.focus }, receivedAt));
      const id = alertId(sub.key, event.eventNumber);
      // An order decided before its alert arrived (the decision came by another subscription first).
      alerts.sharing.closeIfDecided(sub.fhir_base, id, event.focus, Date.parse(receivedAt));
      out.alertIds.push(id);
    } else if (alerts.markRecheck(existing, Date.parse(receivedAt))) {
      out.recheck.push(existing);
    }
  }

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
      const out = { alertIds: [] as string[], recheck: [] as string[] };
      let duplicates = 0;
      let gap: CommitResult['gap'] = null;
      for (const event of sorted) {
        // A replayed or recovered event below the cursor may still fill a recorded gap.
        const fillsGap = source !== 'live' && event.eventNumber <= cursor;
        if (!fillsGap && event.eventNumber <= cursor) {
          duplicates += 1;
          continue;
        }
        const repeatsVersion = versionKnown(sub, event.focus, event.version);
        const inserted = statements.insertEvent.run(
          key,
          event.eventNumber,
          event.focus,
          event.occurredAt,
          receivedAt,
          source,
          event.version ?? null,
        );
        if (inserted.changes === 0) {
          duplicates += 1;
          continue;
        }
        if (event.eventNumber > cursor + 1 && source === 'live' && sub.sequence_mode === 'sequence') {
          gap = { first: cursor + 1, last: event.eventNumber - 1 };
          statements.insertGap.run(key, gap.first, gap.last, receivedAt);
        }
        // A numbered event is always stored (the numbering must stay whole); a version already
        // seen changes no alert.
        if (!repeatsVersion) attachAlert(sub, topic, event, receivedAt, out);
        accepted.push(event);
        cursor = Math.max(cursor, event.eventNumber);
      }
      statements.advanceCursor.run(cursor, receivedAt, key);
      return { accepted, ...out, duplicates, gap, cursor };
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
   * counts again from 1): identify an event by its focus and version (`meta.versionId`) where the
   * server gives one, else by (focus, timestamp), and number accepted events locally. A live repeat of
   * a version already seen marks the focus's alert to be checked (Medplum notifies a delete with the
   * last version). Same transaction rule as commitEvents: event, alert row and cursor together.
   */
  const commitUnsequenced = db.transaction(
    (
      key: string,
      topic: string,
      events: readonly Omit<IncomingEvent, 'eventNumber'>[],
      source: EventSource,
    ): CommitResult => {
      const sub = statements.getSubscription.get(key);
      if (!sub) throw new Error(`unknown subscription ${key}`);
      const receivedAt = now();
      let cursor = sub.cursor;
      const accepted: IncomingEvent[] = [];
      const out = { alertIds: [] as string[], recheck: [] as string[] };
      let duplicates = 0;
      for (const event of events) {
        const hasVersion = event.version !== null && event.version !== undefined;
        const repeated = hasVersion
          ? versionKnown(sub, event.focus, event.version)
          : findUnsequenced.get(key, event.focus, event.occurredAt) !== undefined;
        if (repeated) {
          duplicates += 1;
          const existing =
            source === 'live' && event.focus
              ? alerts.alertForFocus(sub.fhir_base, sub.owner, topic, event.focus)
              : null;
          if (existing !== null && alerts.markRecheck(existing, Date.parse(receivedAt)))
            out.recheck.push(existing);
          continue;
        }
        cursor += 1;
        const numbered = { ...event, eventNumber: cursor };
        statements.insertEvent.run(
          key,
          cursor,
          event.focus,
          event.occurredAt,
          receivedAt,
          source,
          event.version ?? null,
        );
        attachAlert(sub, topic, numbered, receivedAt, out);
        accepted.push(numbered);
      }
      statements.advanceCursor.run(cursor, receivedAt, key);
      return { accepted, ...out, duplicates, gap: null, cursor };
    },
  );

  const readBacks = createReadBackStore(db);
  const saveSubscription = (
    record: Omit<SubscriptionRecord, 'key' | 'cursor' | 'sequenceMode' | 'createdAt'>,
  ): SubscriptionRecord => {
    const key = subscriptionKey(record.fhirBase, record.remoteId);
    statements.upsertSubscription.run({ ...record, key, cursor: 0, sequenceMode: 'sequence', now: now() });
    const saved = statements.getSubscription.get(key);
    if (!saved) throw new Error('subscription upsert failed');
    return toSubscription(saved);
  };

  /**
   * What a read-back found (core/monitor/read-back.ts), in ONE transaction with the read-back marked
   * done: its events go to a record of their own (`read-back|<topic>|<owner>`, numbered locally and
   * retired at once, so no channel ever uses it), never into a running subscription, whose cursor is
   * the server's count. A version a subscription already brought is a duplicate (one version, one
   * event, whichever way it came). Null when it was done already.
   */
  const commitReadBack = db.transaction(
    (
      readBack: ReadBack,
      events: readonly Omit<IncomingEvent, 'eventNumber'>[],
      steps: readonly SharedStep[] = [],
    ): CommitResult | null => {
      if (readBacks.get(readBack.fhirBase, readBack.topic, readBack.owner)?.doneAt) return null;
      const record = saveSubscription({
        fhirBase: readBack.fhirBase,
        remoteId: `read-back|${readBack.topic}|${readBack.owner ?? ''}`,
        topic: readBack.topic,
        channel: 'poll',
        endpoint: null,
        heartbeatSeconds: 0,
        owner: readBack.owner,
      });
      statements.retireSubscription.run(now(), now(), record.key);
      const result = commitUnsequenced(record.key, readBack.topic, events, 'recovery');
      // The steps other workstations asked for these results, in the same transaction as the alerts:
      // this workstation's chain goes on from them, and one asked of the user here is told to her.
      for (const step of steps) alerts.sharing.saveStep(readBack.fhirBase, step, Date.now());
      readBacks.markDone(
        readBack.fhirBase,
        readBack.topic,
        readBack.owner,
        result.alertIds.length,
        Date.now(),
      );
      return result;
    },
  );

  return {
    db,
    close: () => db.close(),
    /** The alert owner: alert rows, their lifecycle, the audit log and the write-back outbox. */
    alerts,
    /** Reconciliation marks, what was learned about each server, this workstation's id. */
    facts: createServerFactsStore(db),
    /** The OS notifications still to be taken back when their alerts close, across restarts. */
    raisedNotifications: createRaisedNotificationStore(db),
    /** The read-backs of a first watch, owed and done. */
    readBacks,
    /** Commit what a read-back found and mark it done; null when another run did it first. */
    commitReadBack,

    getSubscription: (key: string): SubscriptionRecord | null => {
      const row = statements.getSubscription.get(key);
      return row ? toSubscription(row) : null;
    },
    findSubscription: (fhirBase: string, topic: string, owner: string | null): SubscriptionRecord | null => {
      const row = statements.findSubscription.get(fhirBase, topic, owner);
      return row ? toSubscription(row) : null;
    },
    saveSubscription,
    /**
     * The server no longer has this subscription: its record stays (with its events and alerts, which
     * are never deleted with it) but is no longer found for reuse.
     */
    retireSubscription: (key: string): boolean =>
      statements.retireSubscription.run(now(), now(), key).changes === 1,
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

    /**
     * Everything enrichment learned, in one transaction (one fsync): the fetched resource into the cache
     * and the classification onto the alert. Under bursts, separate FULL-sync writes per alert starve
     * the frame loop that commits the next events. Null when the alert was already enriched.
     */
    saveEnrichment: (
      id: string,
      classification: AlertClassification,
      interrupts: boolean,
      resource: CachedResource | null,
    ) => db.transaction(() => saveOneEnrichment({ id, classification, interrupts, resource }))(),

    /**
     * A batch's enrichments in one transaction (one fsync), each as saveEnrichment stores it; null for
     * an alert already enriched. Not saveEnrichment in a loop: each nested call would be a savepoint.
     */
    saveEnrichments: (items: readonly EnrichmentToSave[]) =>
      db.transaction(() => items.map(saveOneEnrichment))(),

    cachedResource: (fhirBase: string, reference: string) =>
      statements.cacheGet.get(fhirBase, reference) ?? null,
    cacheResource,
  };
}
