// The one owner of alert rows, the audit log and the write-back outbox: every SQL statement over
// `alerts`, `audit_log` and `outbox` is in this file (the schema itself is in schema.ts).
//
// Every transition is a conditional UPDATE (`… WHERE state IN (…)`) with its audit row in the same
// transaction, so a double click, a race or a replay is a no-op that reports `false`. Callers give
// the time of each transition (`at`, epoch ms): the closed loop runs on the alerting clock, the
// pipeline on the wall clock, and neither is hidden in here.
import type { Db } from '../../lib/sqlite.ts';
import type { AlertClass, AlertSummary, ResourceStatus } from '../../shared/api.ts';
import {
  OPEN_STATES,
  rowToAlert,
  toOutboxItem,
  type AlertRow,
  type AuditRow,
  type LifecycleTimers,
  type OutboxItem,
  type OutboxRow,
} from './alert-rows.ts';
import { createAlertSharing } from './alert-sharing.ts';

/** The alert row an accepted event creates (inside the event commit's transaction). */
export interface NewAlert {
  id: string;
  subscriptionKey: string;
  eventNumber: number;
  topic: string;
  focus: string;
  occurredAt: string;
  receivedAt: string;
}

/** What enrichment learned about an alert's focus. */
export interface AlertClassification {
  tier: AlertClass;
  headline: string;
  reason: string;
  patientRef: string | null;
  patientName: string | null;
  /** The patient's MRN and date of birth (told apart from others of the same name). */
  patientMrn?: string | null;
  patientBirthDate?: string | null;
  location: string | null;
  /** The ward of the bed in `location`. */
  ward?: string | null;
  fetchStatus: ResourceStatus;
  /** Notification line without patient context ("K 6.8 mmol/L > 6.2"). */
  summary?: string | null;
  /** What fired: `threshold:<id>`, `interpretation:<code>`, … */
  ruleId?: string | null;
}

/** A write-back request queued with an acknowledgment. */
export interface WritebackRequest {
  kind: string;
  fhirBase: string;
  payload: unknown;
  /** The acting user's owner key (owners.ts): only that user's own session sends it. */
  actor?: string;
}

/**
 * The outbox kind of a resolution record: it leaves the alert's write-back state alone (that state is
 * the acknowledgment's, shown on the alert) and is not audited (the resolution itself is).
 */
export const RESOLUTION_RECORD = 'resolution';

/** What arrived for an owner in a time window (the "while you were away" summary). */
export interface ArrivalCounts {
  alerts: number;
  critical: number;
}

type AuditArgs = [
  at: string,
  alertId: string | null,
  action: string,
  actor: string | null,
  detail: string | null,
];

/** `('new', 'seen', 'escalated')`: the open states, as one SQL list (alert-rows.ts is their source). */
const OPEN = `(${OPEN_STATES.map((state) => `'${state}'`).join(', ')})`;

function prepareStatements(db: Db) {
  return {
    // The alert belongs to whoever its subscription was kept for (owners.ts), fixed at insert.
    insert: db.prepare<[string, string, number, string, string, string, string, string]>(`
      INSERT OR IGNORE INTO alerts (id, subscription_key, event_number, topic, focus, occurred_at, received_at, owner)
      VALUES (?, ?, ?, ?, ?, ?, ?,
        (SELECT fhir_base || '|' || owner FROM subscriptions WHERE key = ?))`),
    get: db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
    ownerOf: db.prepare<[string], { owner: string | null }>('SELECT owner FROM alerts WHERE id = ?'),
    listFor: db.prepare<[string, number], AlertRow>(
      'SELECT * FROM alerts WHERE owner = ? ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?',
    ),
    listForBefore: db.prepare<[string, string, number, string, number], AlertRow>(`
      SELECT * FROM alerts WHERE owner = ? AND (received_at, event_number, id) < (?, ?, ?)
      ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?`),
    openFor: db.prepare<[string, number], AlertRow>(`
      SELECT * FROM alerts WHERE owner = ? AND tier IN ('critical', 'high') AND state IN ${OPEN}
      ORDER BY received_at, event_number, id LIMIT ?`),
    countsFor: db.prepare<[string], { open: number; escalated: number }>(`
      SELECT COUNT(*) AS open, COALESCE(SUM(state = 'escalated'), 0) AS escalated
      FROM alerts WHERE owner = ? AND tier = 'critical' AND state IN ${OPEN}`),
    arrivals: db.prepare<[string, string, string], ArrivalCounts>(`
      SELECT COUNT(*) AS alerts, COALESCE(SUM(tier = 'critical'), 0) AS critical
      FROM alerts WHERE owner = ? AND occurred_at > ? AND occurred_at <= ?`),
    signOutAt: db.prepare<[string], { at: string }>('SELECT at FROM sign_outs WHERE owner = ?'),
    recordSignOut: db.prepare<[string, string]>(
      'INSERT INTO sign_outs (owner, at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET at = excluded.at',
    ),
    list: db.prepare<[number], AlertRow>(
      'SELECT * FROM alerts ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?',
    ),
    listBefore: db.prepare<[string, number, string, number], AlertRow>(`
      SELECT * FROM alerts WHERE (received_at, event_number, id) < (?, ?, ?)
      ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?`),
    // Never fetched, or owed after a transient failure (resumed at start, whatever its retry time).
    awaitingFetch: db.prepare<[], AlertRow>(
      "SELECT * FROM alerts WHERE fetch_status = 'pending' OR fetch_retry_at IS NOT NULL ORDER BY rowid",
    ),
    // The owed ones are few: through their partial index, never the owner's whole history (SQLite's
    // own choice), which made every enrichment batch scan 100,000 rows after a catch-up.
    dueForFetch: db.prepare<[string, string | null], { id: string }>(
      'SELECT id FROM alerts INDEXED BY alerts_owed_fetch WHERE fetch_retry_at IS NOT NULL AND fetch_retry_at <= ? AND owner IS ? ORDER BY fetch_retry_at, rowid',
    ),
    nextFetchRetry: db.prepare<[string | null], { at: string | null }>(
      'SELECT MIN(fetch_retry_at) AS at FROM alerts INDEXED BY alerts_owed_fetch WHERE fetch_retry_at IS NOT NULL AND owner IS ?',
    ),
    // A transient read failure: shown with the reason (and, on a critical topic, as possibly critical),
    // still owed. The notification state is left alone: a possibly critical alert stays 'pending'.
    owed: db.prepare(`
      UPDATE alerts SET tier = @tier, headline = @headline, reason = @reason, fetch_status = 'error',
        fetch_retry_at = @retryAt, fetch_attempts = fetch_attempts + 1
      WHERE id = @id AND (fetch_status = 'pending' OR fetch_retry_at IS NOT NULL)`),
    awaitingNotification: db.prepare<[], AlertRow>(`
      SELECT * FROM alerts WHERE notify_state IN ('pending', 'notifying') AND fetch_status <> 'pending'
        AND tier <> 'unclassified' ORDER BY rowid`),
    // Enrichment happens once: only an alert still waiting for (or owed) its fetch takes a
    // classification. One that was notified as "could not be checked" is notified again, with its
    // content, when the result turns out to interrupt.
    classify: db.prepare(`
      UPDATE alerts SET tier = @tier, headline = @headline, reason = @reason, patient_ref = @patientRef,
        patient_name = @patientName, patient_mrn = @patientMrn, patient_birth_date = @patientBirthDate,
        location = @location, ward = @ward, fetch_status = @fetchStatus,
        summary = @summary, rule_id = @ruleId, fetch_retry_at = NULL,
        notify_state = CASE
          WHEN notified_unchecked = 1 AND @interrupts = 1 AND notify_state IN ('notified', 'summarised') THEN 'pending'
          WHEN notify_state = 'pending' AND @interrupts = 0 THEN 'not-required'
          ELSE notify_state END,
        notified_unchecked = 0
      WHERE id = @id AND (fetch_status = 'pending' OR fetch_retry_at IS NOT NULL)`),
    claim: db.prepare<[string]>(
      "UPDATE alerts SET notify_state = 'notifying' WHERE id = ? AND notify_state = 'pending'",
    ),
    // A notification sent before the focus was read said "could not be checked" (notification-text.ts).
    delivered: db.prepare<[string, string, string]>(`
      UPDATE alerts SET notify_state = ?, notified_at = ?,
        notified_unchecked = CASE WHEN fetch_status = 'ok' THEN 0 ELSE 1 END
      WHERE id = ? AND notify_state = 'notifying'`),
    reclaim: db.prepare<[], { id: string }>(
      "UPDATE alerts SET notify_state = 'pending' WHERE notify_state = 'notifying' RETURNING id",
    ),
    seen: db.prepare<[string, string | null, string]>(
      "UPDATE alerts SET state = 'seen', seen_at = ?, seen_by = ? WHERE id = ? AND state = 'new'",
    ),
    ack: db.prepare<[string, string | null, string, string | null, string]>(`
      UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_by_name = ?,
        acknowledged_at = ?, ack_note = ?, next_escalation_at = NULL
      WHERE id = ? AND state IN ${OPEN}`),
    escalate: db.prepare<[string, string, string, string]>(`
      UPDATE alerts SET state = 'escalated', escalated_at = COALESCE(escalated_at, ?),
        escalation_level = escalation_level + 1, next_escalation_at = ?
      WHERE id = ? AND state IN ${OPEN} AND tier = 'critical' AND COALESCE(next_escalation_at, '') <= ?`),
    resolve: db.prepare<[string, string | null, string | null, string]>(`
      UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolve_note = ?,
        next_escalation_at = NULL
      WHERE id = ? AND (state = 'acknowledged' OR (tier <> 'critical' AND state IN ('new', 'seen')))`),
    openCriticals: db.prepare<[], AlertRow>(
      `SELECT * FROM alerts WHERE tier = 'critical' AND state IN ${OPEN} ORDER BY rowid`,
    ),
    counts: db.prepare<[], { open: number; escalated: number }>(`
      SELECT COUNT(*) AS open, COALESCE(SUM(state = 'escalated'), 0) AS escalated
      FROM alerts WHERE tier = 'critical' AND state IN ${OPEN}`),
    audit: db.prepare<AuditArgs>(
      'INSERT INTO audit_log (at, alert_id, action, actor, detail) VALUES (?, ?, ?, ?, ?)',
    ),
    auditRange: db.prepare<[string, string], AuditRow>(`
      SELECT l.id, l.at, l.alert_id, l.action, l.actor, l.detail, a.focus, a.tier
      FROM audit_log l LEFT JOIN alerts a ON a.id = l.alert_id
      WHERE l.at >= ? AND l.at <= ? ORDER BY l.id`),
    // One reader's audit: the rows of alerts it may see, and its own rows that name no alert.
    auditRangeFor: db.prepare<[string, string, string, string], AuditRow>(`
      SELECT l.id, l.at, l.alert_id, l.action, l.actor, l.detail, a.focus, a.tier
      FROM audit_log l LEFT JOIN alerts a ON a.id = l.alert_id
      WHERE l.at >= ? AND l.at <= ?
        AND ((l.alert_id IS NOT NULL AND a.owner = ?) OR (l.alert_id IS NULL AND l.actor = ?))
      ORDER BY l.id`),
    enqueue: db.prepare<[string, string, string, string, string, string, string | null]>(`
      INSERT INTO outbox (alert_id, kind, fhir_base, payload, next_attempt_at, created_at, actor)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    writebackQueued: db.prepare<[string]>(
      "UPDATE alerts SET writeback_state = 'pending', writeback_error = NULL WHERE id = ? AND writeback_state = 'none'",
    ),
    writebackOutcome: db.prepare<[string, string | null, string | null, string]>(`
      UPDATE alerts SET writeback_state = ?, writeback_error = ?, writeback_ref = COALESCE(?, writeback_ref)
      WHERE id = ? AND writeback_state IN ('pending', 'failed')`),
    due: db.prepare<[string], OutboxRow>(
      "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id",
    ),
    nextDue: db.prepare<[], { at: string | null }>(
      "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE state = 'pending'",
    ),
    outboxDone: db.prepare<[string, string | null, string, number]>(
      "UPDATE outbox SET state = ?, remote_ref = ?, done_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending'",
    ),
    outboxRetry: db.prepare<[string, string, number]>(
      "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending'",
    ),
    retryNow: db.prepare<[string, string]>(
      "UPDATE outbox SET next_attempt_at = ? WHERE alert_id = ? AND state = 'pending'",
    ),
    outboxCounts: db.prepare<[], { pending: number; failed: number; lastError: string | null }>(`
      SELECT COUNT(*) AS pending, COALESCE(SUM(attempts > 0), 0) AS failed,
        (SELECT last_error FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL
          ORDER BY id DESC LIMIT 1) AS lastError
      FROM outbox WHERE state = 'pending'`),
    pruneAlerts: db.prepare<[string]>(`
      DELETE FROM alerts WHERE received_at < ?
        AND (state IN ('acknowledged', 'resolved') OR tier NOT IN ('critical', 'high'))`),
    pruneAudit: db.prepare<[string]>('DELETE FROM audit_log WHERE at < ?'),
    ...prepareRevisionStatements(db),
  };
}

/**
 * Later news about an alert's focus (schema.ts migration 4): a newer version of the result, the same
 * version again (a server that notifies a delete with the last version), or the result withdrawn.
 */
function prepareRevisionStatements(db: Db) {
  return {
    // The alert a focus already has on this server, topic and user: a later event about the same
    // result is news about that alert, not a new alert.
    forFocus: db.prepare<[string, string | null, string, string], { id: string }>(`
      SELECT a.id FROM alerts a JOIN subscriptions s ON s.key = a.subscription_key
      WHERE s.fhir_base = ? AND s.owner IS ? AND a.topic = ? AND a.focus = ?
      ORDER BY a.rowid DESC LIMIT 1`),
    markRecheck: db.prepare<[string, string]>(
      'UPDATE alerts SET recheck_at = COALESCE(recheck_at, ?) WHERE id = ? AND withdrawn_at IS NULL',
    ),
    awaitingRecheck: db.prepare<[], { id: string }>(
      'SELECT id FROM alerts WHERE recheck_at IS NOT NULL AND withdrawn_at IS NULL ORDER BY rowid',
    ),
    clearRecheck: db.prepare<[string]>('UPDATE alerts SET recheck_at = NULL WHERE id = ?'),
    // Enrich again; an alert that did not interrupt may now (a corrected value turned critical), one
    // already delivered is not delivered again.
    revise: db.prepare<[string]>(`
      UPDATE alerts SET fetch_status = 'pending', revision = revision + 1, recheck_at = NULL,
        notify_state = CASE WHEN notify_state = 'not-required' THEN 'pending' ELSE notify_state END
      WHERE id = ? AND withdrawn_at IS NULL AND fetch_status <> 'pending'`),
    withdraw: db.prepare<[string, string, string, string, string, string]>(`
      UPDATE alerts SET withdrawn_at = ?, headline = ?, reason = ?, recheck_at = NULL,
        state = CASE WHEN state IN ${OPEN} THEN 'resolved' ELSE state END,
        resolved_at = CASE WHEN state IN ${OPEN} THEN ? ELSE resolved_at END,
        resolve_note = CASE WHEN state IN ${OPEN} THEN ? ELSE resolve_note END,
        next_escalation_at = NULL,
        notify_state = CASE WHEN notify_state = 'pending' THEN 'not-required' ELSE notify_state END
      WHERE id = ? AND withdrawn_at IS NULL`),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export type AlertStore = ReturnType<typeof createAlertStore>;

/** The alert owner over an open, migrated client database, with the closed loop's timers. */
export function createAlertStore(db: Db, timers: LifecycleTimers) {
  const s = prepareStatements(db);
  const audit = (
    alertId: string | null,
    action: string,
    actor: string | null,
    detail: string | null,
    at: number,
  ) => s.audit.run(iso(at), alertId, action, actor, detail);
  // What other workstations did to the same results (alert-sharing.ts), under the same rules.
  const sharing = createAlertSharing(db, audit);
  /** An alert as the API shows it; a critical carries its escalation chain across workstations. */
  const toAlert = (row: AlertRow): AlertSummary => {
    const alert = rowToAlert(row, timers);
    if (row.tier !== 'critical') return alert;
    const chain = sharing.chainOf(row.subscription_key, row.focus);
    return chain.length > 0 ? { ...alert, escalation: chain } : alert;
  };
  const get = (id: string): AlertSummary | null => {
    const row = s.get.get(id);
    return row ? toAlert(row) : null;
  };
  /** Run `change`; when it changed a row, write its audit entry in the same transaction. */
  const audited = (
    change: () => number,
    id: string,
    action: string,
    actor: string | null,
    detail: string | null,
    at: number,
  ) =>
    db.transaction((): boolean => {
      if (change() === 0) return false;
      audit(id, action, actor, detail, at);
      return true;
    })();

  /** An outbox item leaves 'pending' for good; its alert shows the outcome, audited, all or nothing. */
  const finishOutbox = (
    item: OutboxItem,
    at: number,
    outcome: 'done' | 'unsupported',
    reference: string | null,
    error: string | null,
    detail: string,
  ) =>
    db.transaction((): boolean => {
      if (s.outboxDone.run(outcome, reference, iso(at), item.id).changes === 0) return false;
      if (item.kind === RESOLUTION_RECORD) return true;
      s.writebackOutcome.run(outcome, error, reference, item.alertId);
      audit(item.alertId, `writeback:${outcome}`, null, detail, at);
      return true;
    })();

  return {
    /** The timers given when the store was opened (ackDueAt, targetDueAt, escalation). */
    timers,
    /** Acknowledgments, resolutions and escalation steps shared with other workstations. */
    sharing,

    /** Insert the alert of a newly accepted event. Runs inside the caller's event-commit transaction. */
    insertForEvent: (alert: NewAlert): void => {
      s.insert.run(
        alert.id,
        alert.subscriptionKey,
        alert.eventNumber,
        alert.topic,
        alert.focus,
        alert.occurredAt,
        alert.receivedAt,
        alert.subscriptionKey,
      );
    },

    get,
    /** Who an alert belongs to (owners.ts); null for an unknown alert or one owned by nobody. */
    ownerOf: (id: string): string | null => s.ownerOf.get(id)?.owner ?? null,
    /** One owner's feed, newest first; `before` is the id of the last row of the previous page. */
    listFor: (owner: string, limit: number, before?: string): AlertSummary[] => {
      if (!before) return s.listFor.all(owner, limit).map(toAlert);
      const anchor = s.get.get(before);
      if (!anchor || anchor.owner !== owner) return [];
      return s.listForBefore
        .all(owner, anchor.received_at, anchor.event_number, anchor.id, limit)
        .map(toAlert);
    },
    /** One owner's critical and high alerts still waiting for a person, oldest first. */
    openFor: (owner: string, limit: number): AlertSummary[] => s.openFor.all(owner, limit).map(toAlert),
    /** Alerts of `owner` whose result time falls in (`after`, `until`]. */
    arrivals: (owner: string, after: string, until: string): ArrivalCounts =>
      s.arrivals.get(owner, after, until) ?? { alerts: 0, critical: 0 },
    /** When `owner` last signed out on this workstation (ISO), or null. */
    lastSignOut: (owner: string): string | null => s.signOutAt.get(owner)?.at ?? null,
    recordSignOut: (owner: string, at: number): void => void s.recordSignOut.run(owner, iso(at)),
    /** The feed, newest first; `before` is the id of the last row of the previous page. */
    list: (limit: number, before?: string): AlertSummary[] => {
      if (!before) return s.list.all(limit).map(toAlert);
      const anchor = s.get.get(before);
      if (!anchor) return [];
      return s.listBefore.all(anchor.received_at, anchor.event_number, anchor.id, limit).map(toAlert);
    },
    /** Committed alerts whose focus has not been fetched yet, or is owed after a transient failure. */
    awaitingFetch: (): AlertSummary[] => s.awaitingFetch.all().map(toAlert),
    /** How many transient read failures an alert's focus has had. */
    fetchAttempts: (id: string): number => s.get.get(id)?.fetch_attempts ?? 0,
    /** Owed alerts whose retry time has come. */
    /** One owner's owed alerts whose retry time has come (another user's focus is never read). */
    dueForFetch: (at: number, owner: string | null): string[] =>
      s.dueForFetch.all(iso(at), owner).map((r) => r.id),
    /** The earliest retry time of one owner's owed alerts (epoch ms), or null. */
    nextFetchRetryAt: (owner: string | null): number | null => {
      const at = s.nextFetchRetry.get(owner)?.at;
      return at ? Date.parse(at) : null;
    },
    /**
     * The focus could not be read for a transient reason: show why, keep it owed, retry at `retryAt`.
     * The first such failure is audited. Null when the alert is no longer waiting for its fetch.
     */
    saveFetchOwed: (
      id: string,
      c: Pick<AlertClassification, 'tier' | 'headline' | 'reason'>,
      retryAt: number,
      at: number,
    ): AlertSummary | null =>
      db.transaction((): AlertSummary | null => {
        if (s.owed.run({ id, ...c, retryAt: iso(retryAt) }).changes === 0) return null;
        const saved = s.get.get(id);
        if (saved?.fetch_attempts === 1) audit(id, 'fetch-owed', null, c.reason.slice(0, 200), at);
        return saved ? toAlert(saved) : null;
      })(),
    /** Classified alerts whose notification was not delivered (or was cut off) by a previous run. */
    awaitingNotification: (): AlertSummary[] => s.awaitingNotification.all().map(toAlert),

    /** Store what enrichment learned; null when the alert was already enriched (or does not exist). */
    saveClassification: (id: string, c: AlertClassification, interrupts: boolean): AlertSummary | null => {
      const changed = s.classify.run({
        id,
        ...c,
        summary: c.summary ?? null,
        ruleId: c.ruleId ?? null,
        patientMrn: c.patientMrn ?? null,
        patientBirthDate: c.patientBirthDate ?? null,
        ward: c.ward ?? null,
        interrupts: interrupts ? 1 : 0,
      }).changes;
      return changed === 1 ? get(id) : null;
    },

    /** Claim the right to notify an alert (pending → notifying); true exactly once, across restarts. */
    claimNotification: (id: string): boolean => s.claim.run(id).changes === 1,
    /** notifying → notified, audited. */
    markNotified: (id: string, at: number): boolean =>
      audited(() => s.delivered.run('notified', iso(at), id).changes, id, 'notified', null, null, at),
    /** notifying → summarised: covered by an offline summary instead of its own notification. */
    markSummarised: (id: string, at: number): boolean =>
      s.delivered.run('summarised', iso(at), id).changes === 1,
    /** Deliveries cut off by a crash ('notifying') go back to 'pending'; returns their ids, audited. */
    reclaimInterrupted: (at: number): string[] =>
      db.transaction(() => {
        const ids = s.reclaim.all().map((r) => r.id);
        for (const id of ids)
          audit(id, 'notify-interrupted', null, 'delivery interrupted by a restart; retried', at);
        return ids;
      })(),

    /** new → seen. */
    markSeen: (id: string, actor: string | null, at: number): boolean =>
      audited(() => s.seen.run(iso(at), actor, id).changes, id, 'state:seen', actor, null, at),

    /**
     * new/seen/escalated → acknowledged, escalation cleared, and (when `writeback` is given) the
     * write-back queued in the same transaction: the record of the acknowledgment and the duty to write
     * it back are never separated by a crash. The note may contain clinical text: the audit row records
     * that a note exists, not its content.
     */
    acknowledge: (
      id: string,
      actor: string,
      note: string | null,
      writeback: WritebackRequest | null,
      at: number,
      actorName: string | null = null,
    ): boolean =>
      db.transaction((): boolean => {
        if (s.ack.run(actor, actorName, iso(at), note, id).changes === 0) return false;
        audit(id, 'state:acknowledged', actor, note ? 'with read-back note' : null, at);
        if (writeback) {
          const when = iso(at);
          s.enqueue.run(
            id,
            writeback.kind,
            writeback.fhirBase,
            JSON.stringify(writeback.payload),
            when,
            when,
            writeback.actor ?? null,
          );
          s.writebackQueued.run(id);
        }
        return true;
      })(),

    /** An open critical whose escalation is due (next at `nextAt`) → escalated, one level up. */
    escalate: (id: string, nextAt: number, detail: string, at: number): boolean =>
      audited(
        () => s.escalate.run(iso(at), iso(nextAt), id, iso(at)).changes,
        id,
        'state:escalated',
        null,
        detail,
        at,
      ),

    /**
     * acknowledged (or a non-critical new/seen) → resolved; with `writeback`, the resolution record is
     * queued in the same transaction (it does not change the acknowledgment's write-back state).
     */
    resolve: (
      id: string,
      actor: string | null,
      note: string | null,
      at: number,
      writeback: WritebackRequest | null = null,
    ): boolean =>
      db.transaction((): boolean => {
        if (s.resolve.run(iso(at), actor, note, id).changes === 0) return false;
        audit(id, 'state:resolved', actor, note ? 'with note' : null, at);
        if (writeback) {
          const when = iso(at);
          s.enqueue.run(
            id,
            writeback.kind,
            writeback.fhirBase,
            JSON.stringify(writeback.payload),
            when,
            when,
            writeback.actor ?? null,
          );
        }
        return true;
      })(),

    /** Open criticals, each with its owner; `owner` narrows them to one identity's. */
    openCriticals: (
      owner?: string | null,
    ): Array<AlertSummary & { nextEscalationAt: string | null; owner: string | null }> =>
      s.openCriticals
        .all()
        .filter((row) => owner === undefined || row.owner === owner)
        .map((row) => ({ ...toAlert(row), nextEscalationAt: row.next_escalation_at, owner: row.owner })),
    /** Open and escalated criticals, all of them or (with `owner`) one identity's only. */
    counts: (owner?: string | null) =>
      (owner === undefined ? s.counts.get() : owner === null ? undefined : s.countsFor.get(owner)) ?? {
        open: 0,
        escalated: 0,
      },

    /** An audit entry that is not a state transition (renotified, notify-failed, audit-export). */
    audit,
    auditRows: (since: string | undefined, until: string | undefined): AuditRow[] =>
      s.auditRange.all(since ?? '0000', until ?? '9999'),
    /** The audit rows `owner`'s alerts have, and `actor`'s own rows without an alert (exports). */
    auditRowsFor: (
      owner: string,
      actor: string | null,
      since: string | undefined,
      until: string | undefined,
    ): AuditRow[] => s.auditRangeFor.all(since ?? '0000', until ?? '9999', owner, actor ?? ''),

    dueOutbox: (at: number): OutboxItem[] => s.due.all(iso(at)).map(toOutboxItem),
    nextOutboxAt: (): number | null => {
      const at = s.nextDue.get()?.at;
      return at ? Date.parse(at) : null;
    },
    /** The server accepted the write-back (`reference` is what it holds now). */
    outboxSucceeded: (item: OutboxItem, reference: string, at: number): boolean =>
      finishOutbox(item, at, 'done', reference, null, `${item.kind} ${reference}`),
    /** The server takes neither resource type: shown on the alert, never retried. */
    outboxUnsupported: (item: OutboxItem, why: string, at: number): boolean =>
      finishOutbox(item, at, 'unsupported', null, why, why),
    /** A failed attempt: shown on the alert, retried at `nextAt`. */
    outboxFailed: (item: OutboxItem, error: string, nextAt: number, at: number) =>
      db.transaction((): boolean => {
        if (s.outboxRetry.run(error, iso(nextAt), item.id).changes === 0) return false;
        if (item.kind === RESOLUTION_RECORD) return true;
        s.writebackOutcome.run('failed', error, null, item.alertId);
        audit(item.alertId, 'writeback:failed', null, error, at);
        return true;
      })(),
    /** Make an alert's pending write-back due now (the user asked to retry). */
    retryWritebackNow: (alertId: string, at: number): number => s.retryNow.run(iso(at), alertId).changes,
    outboxCounts: () => s.outboxCounts.get() ?? { pending: 0, failed: 0, lastError: null },

    /** The alert this server, user and topic already have for a focus, if any. */
    alertForFocus: (fhirBase: string, owner: string | null, topic: string, focus: string): string | null =>
      s.forFocus.get(fhirBase, owner, topic, focus)?.id ?? null,
    /** A later event named this alert's focus: check it (inside the event commit's transaction). */
    markRecheck: (id: string, at: number): boolean => s.markRecheck.run(iso(at), id).changes === 1,
    /** Alerts whose focus a later event named and nobody has checked yet (resumed at start). */
    awaitingRecheck: (): string[] => s.awaitingRecheck.all().map((r) => r.id),
    /** The later event was the same version again: nothing changed. */
    clearRecheck: (id: string): void => void s.clearRecheck.run(id),
    /** A newer version of the focus: the same alert is enriched again with the new value, audited. */
    revise: (id: string, detail: string, at: number): boolean =>
      audited(() => s.revise.run(id).changes, id, 'result-revised', null, detail, at),
    /**
     * The source withdrew the result (deleted, or entered in error): the alert says so and stops
     * asking for attention (an open one is resolved, escalation stops, nothing more is notified). It
     * stays in the feed and the audit log; it is never deleted.
     */
    withdraw: (id: string, headline: string, why: string, at: number): boolean => {
      const before = get(id);
      if (!before) return false;
      const reason = `${why}${before.headline ? `; was: ${before.headline}` : ''}`.slice(0, 500);
      const when = iso(at);
      return audited(
        () => s.withdraw.run(when, headline, reason, when, `withdrawn by the source: ${why}`, id).changes,
        id,
        'result-withdrawn',
        null,
        why,
        at,
      );
    },

    /** Retention: closed or non-urgent alerts received before `alertsBefore`, audit rows before `auditBefore`. */
    prune: (alertsBefore: string, auditBefore: string) => ({
      alerts: s.pruneAlerts.run(alertsBefore).changes,
      auditRows: s.pruneAudit.run(auditBefore).changes,
    }),
  };
}
