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
    insert: db.prepare<[string, string, number, string, string, string, string]>(`
      INSERT OR IGNORE INTO alerts (id, subscription_key, event_number, topic, focus, occurred_at, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    get: db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
    list: db.prepare<[number], AlertRow>(
      'SELECT * FROM alerts ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?',
    ),
    listBefore: db.prepare<[string, number, string, number], AlertRow>(`
      SELECT * FROM alerts WHERE (received_at, event_number, id) < (?, ?, ?)
      ORDER BY received_at DESC, event_number DESC, id DESC LIMIT ?`),
    awaitingFetch: db.prepare<[], AlertRow>(
      "SELECT * FROM alerts WHERE fetch_status = 'pending' ORDER BY rowid",
    ),
    awaitingNotification: db.prepare<[], AlertRow>(`
      SELECT * FROM alerts WHERE notify_state IN ('pending', 'notifying') AND fetch_status <> 'pending'
        AND tier <> 'unclassified' ORDER BY rowid`),
    // Enrichment happens once: only an alert still waiting for its fetch takes a classification.
    classify: db.prepare(`
      UPDATE alerts SET tier = @tier, headline = @headline, reason = @reason, patient_ref = @patientRef,
        patient_name = @patientName, patient_mrn = @patientMrn, patient_birth_date = @patientBirthDate,
        location = @location, ward = @ward, fetch_status = @fetchStatus,
        summary = @summary, rule_id = @ruleId,
        notify_state = CASE WHEN notify_state = 'pending' AND @interrupts = 0 THEN 'not-required' ELSE notify_state END
      WHERE id = @id AND fetch_status = 'pending'`),
    claim: db.prepare<[string]>(
      "UPDATE alerts SET notify_state = 'notifying' WHERE id = ? AND notify_state = 'pending'",
    ),
    delivered: db.prepare<[string, string, string]>(
      "UPDATE alerts SET notify_state = ?, notified_at = ? WHERE id = ? AND notify_state = 'notifying'",
    ),
    reclaim: db.prepare<[], { id: string }>(
      "UPDATE alerts SET notify_state = 'pending' WHERE notify_state = 'notifying' RETURNING id",
    ),
    seen: db.prepare<[string, string | null, string]>(
      "UPDATE alerts SET state = 'seen', seen_at = ?, seen_by = ? WHERE id = ? AND state = 'new'",
    ),
    ack: db.prepare<[string, string, string | null, string]>(`
      UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, ack_note = ?,
        next_escalation_at = NULL
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
    enqueue: db.prepare<[string, string, string, string, string, string]>(`
      INSERT INTO outbox (alert_id, kind, fhir_base, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
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
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export type AlertStore = ReturnType<typeof createAlertStore>;

/** The alert owner over an open, migrated client database, with the closed loop's timers. */
export function createAlertStore(db: Db, timers: LifecycleTimers) {
  const s = prepareStatements(db);
  const toAlert = (row: AlertRow): AlertSummary => rowToAlert(row, timers);
  const get = (id: string): AlertSummary | null => {
    const row = s.get.get(id);
    return row ? toAlert(row) : null;
  };
  const audit = (
    alertId: string | null,
    action: string,
    actor: string | null,
    detail: string | null,
    at: number,
  ) => s.audit.run(iso(at), alertId, action, actor, detail);
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
      s.writebackOutcome.run(outcome, error, reference, item.alertId);
      audit(item.alertId, `writeback:${outcome}`, null, detail, at);
      return true;
    })();

  return {
    /** The timers given when the store was opened (ackDueAt, targetDueAt, escalation). */
    timers,

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
      );
    },

    get,
    /** The feed, newest first; `before` is the id of the last row of the previous page. */
    list: (limit: number, before?: string): AlertSummary[] => {
      if (!before) return s.list.all(limit).map(toAlert);
      const anchor = s.get.get(before);
      if (!anchor) return [];
      return s.listBefore.all(anchor.received_at, anchor.event_number, anchor.id, limit).map(toAlert);
    },
    /** Committed alerts whose focus has not been fetched yet (resumed at start). */
    awaitingFetch: (): AlertSummary[] => s.awaitingFetch.all().map(toAlert),
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
    ): boolean =>
      db.transaction((): boolean => {
        if (s.ack.run(actor, iso(at), note, id).changes === 0) return false;
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

    /** acknowledged (or a non-critical new/seen) → resolved. */
    resolve: (id: string, actor: string | null, note: string | null, at: number): boolean =>
      audited(
        () => s.resolve.run(iso(at), actor, note, id).changes,
        id,
        'state:resolved',
        actor,
        note ? 'with note' : null,
        at,
      ),

    openCriticals: (): Array<AlertSummary & { nextEscalationAt: string | null }> =>
      s.openCriticals.all().map((row) => ({ ...toAlert(row), nextEscalationAt: row.next_escalation_at })),
    counts: () => s.counts.get() ?? { open: 0, escalated: 0 },

    /** An audit entry that is not a state transition (renotified, notify-failed, audit-export). */
    audit,
    auditRows: (since: string | undefined, until: string | undefined): AuditRow[] =>
      s.auditRange.all(since ?? '0000', until ?? '9999'),

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
        s.writebackOutcome.run('failed', error, null, item.alertId);
        audit(item.alertId, 'writeback:failed', null, error, at);
        return true;
      })(),
    /** Make an alert's pending write-back due now (the user asked to retry). */
    retryWritebackNow: (alertId: string, at: number): number => s.retryNow.run(iso(at), alertId).changes,
    outboxCounts: () => s.outboxCounts.get() ?? { pending: 0, failed: 0, lastError: null },

    /** Retention: closed or non-urgent alerts received before `alertsBefore`, audit rows before `auditBefore`. */
    prune: (alertsBefore: string, auditBefore: string) => ({
      alerts: s.pruneAlerts.run(alertsBefore).changes,
      auditRows: s.pruneAudit.run(auditBefore).changes,
    }),
  };
}
