// SQL of the closed loop (issue 5) over the client store's database: lifecycle transitions with their
// audit rows in one transaction, escalation bookkeeping, the durable write-back outbox, and audit reads.
// Every transition is conditional on the current state, so a double click or a race is a no-op.
import type { AlertSummary } from '../../shared/api.ts';
import type { ClientStore } from '../store/client-store.ts';

export interface OutboxItem {
  id: number;
  alertId: string;
  kind: string;
  fhirBase: string;
  payload: string;
  attempts: number;
  nextAttemptAt: string;
}

export interface AuditRow {
  id: number;
  at: string;
  alert_id: string | null;
  action: string;
  actor: string | null;
  detail: string | null;
  focus: string | null;
  tier: string | null;
}

interface OutboxRow {
  id: number;
  alert_id: string;
  kind: string;
  fhir_base: string;
  payload: string;
  attempts: number;
  next_attempt_at: string;
}

export type AlertStore = ReturnType<typeof openAlertStore>;

export function openAlertStore(store: ClientStore, clock: () => number = Date.now) {
  const { db } = store;
  const iso = (ms = clock()) => new Date(ms).toISOString();
  const s = {
    get: db.prepare<[string], Record<string, unknown>>('SELECT * FROM alerts WHERE id = ?'),
    audit: db.prepare<[string, string | null, string, string | null, string | null]>(
      'INSERT INTO audit_log (at, alert_id, action, actor, detail) VALUES (?, ?, ?, ?, ?)',
    ),
    seen: db.prepare<[string, string | null, string]>(
      "UPDATE alerts SET state = 'seen', seen_at = ?, seen_by = ? WHERE id = ? AND state = 'new'",
    ),
    ack: db.prepare<[string, string, string | null, string]>(`
      UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, ack_note = ?,
        next_escalation_at = NULL
      WHERE id = ? AND state IN ('new', 'seen', 'escalated')`),
    escalate: db.prepare<[string, string, string, string]>(`
      UPDATE alerts SET state = 'escalated', escalated_at = COALESCE(escalated_at, ?),
        escalation_level = escalation_level + 1, next_escalation_at = ?
      WHERE id = ? AND state IN ('new', 'seen', 'escalated') AND tier = 'critical'
        AND COALESCE(next_escalation_at, '') <= ?`),
    resolve: db.prepare<[string, string | null, string | null, string]>(`
      UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolve_note = ?,
        next_escalation_at = NULL
      WHERE id = ? AND (state = 'acknowledged' OR (tier <> 'critical' AND state IN ('new', 'seen')))`),
    openCritical: db.prepare<[], Record<string, unknown>>(
      "SELECT * FROM alerts WHERE tier = 'critical' AND state IN ('new', 'seen', 'escalated') ORDER BY rowid",
    ),
    counts: db.prepare<[], { open: number; escalated: number }>(`
      SELECT COUNT(*) AS open, COALESCE(SUM(state = 'escalated'), 0) AS escalated
      FROM alerts WHERE tier = 'critical' AND state IN ('new', 'seen', 'escalated')`),
    ruleDetail: db.prepare<[string | null, string | null, string | null, string]>(
      'UPDATE alerts SET summary = ?, rule_id = ?, location = COALESCE(?, location) WHERE id = ?',
    ),
    reclaim: db.prepare<[], { id: string }>(
      "UPDATE alerts SET notify_state = 'pending' WHERE notify_state = 'notifying' RETURNING id",
    ),
    enqueue: db.prepare<[string, string, string, string, string, string]>(`
      INSERT INTO outbox (alert_id, kind, fhir_base, payload, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    writeback: db.prepare<[string, string | null, string | null, string]>(
      'UPDATE alerts SET writeback_state = ?, writeback_error = ?, writeback_ref = COALESCE(?, writeback_ref) WHERE id = ?',
    ),
    due: db.prepare<[string], OutboxRow>(
      "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id",
    ),
    nextDue: db.prepare<[], { at: string | null }>(
      "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE state = 'pending'",
    ),
    outboxDone: db.prepare<[string, string | null, string, number]>(
      'UPDATE outbox SET state = ?, remote_ref = ?, done_at = ?, attempts = attempts + 1 WHERE id = ?',
    ),
    outboxRetry: db.prepare<[string, string, number]>(
      'UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
    ),
    retryNow: db.prepare<[string, string]>(
      "UPDATE outbox SET next_attempt_at = ? WHERE alert_id = ? AND state = 'pending'",
    ),
    outboxCounts: db.prepare<[], { pending: number; failed: number; lastError: string | null }>(`
      SELECT COUNT(*) AS pending, COALESCE(SUM(attempts > 0), 0) AS failed,
        (SELECT last_error FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL
          ORDER BY id DESC LIMIT 1) AS lastError
      FROM outbox WHERE state = 'pending'`),
    auditRange: db.prepare<[string, string], AuditRow>(`
      SELECT l.id, l.at, l.alert_id, l.action, l.actor, l.detail, a.focus, a.tier
      FROM audit_log l LEFT JOIN alerts a ON a.id = l.alert_id
      WHERE l.at >= ? AND l.at <= ? ORDER BY l.id`),
  };

  const read = (id: string): AlertSummary | null => {
    const row = s.get.get(id);
    return row ? store.rowToAlert(row) : null;
  };

  return {
    read,
    /** Rule detail of a classified alert (summary line, rule id, bed). */
    saveRuleDetail: (id: string, summary: string | null, ruleId: string | null, location: string | null) =>
      s.ruleDetail.run(summary, ruleId, location, id),

    /** Deliveries interrupted by a crash ('notifying') go back to 'pending' at start; returns their ids. */
    reclaimInterrupted: (): string[] =>
      db.transaction(() => {
        const ids = s.reclaim.all().map((r) => r.id);
        for (const id of ids)
          s.audit.run(iso(), id, 'notify-interrupted', null, 'delivery interrupted by a restart; retried');
        return ids;
      })(),

    markSeen: (id: string, actor: string | null): boolean =>
      db.transaction(() => {
        const at = iso();
        if (s.seen.run(at, actor, id).changes === 0) return false;
        s.audit.run(at, id, 'state:seen', actor, null);
        return true;
      })(),

    /**
     * Acknowledge and, when `writeback` is given, queue it in the same transaction: the record of the
     * acknowledgment and the duty to write it back are never separated by a crash.
     */
    acknowledge: (
      id: string,
      actor: string,
      note: string | null,
      writeback: { kind: string; fhirBase: string; payload: unknown } | null,
    ): boolean =>
      db.transaction(() => {
        const at = iso();
        if (s.ack.run(actor, at, note, id).changes === 0) return false;
        // The note may contain clinical text: the audit row records that a note exists, not its content.
        s.audit.run(at, id, 'state:acknowledged', actor, note ? 'with read-back note' : null);
        if (writeback) {
          s.enqueue.run(id, writeback.kind, writeback.fhirBase, JSON.stringify(writeback.payload), at, at);
          s.writeback.run('pending', null, null, id);
        }
        return true;
      })(),

    escalate: (id: string, nextAtMs: number, detail: string): boolean =>
      db.transaction(() => {
        const at = iso();
        if (s.escalate.run(at, iso(nextAtMs), id, at).changes === 0) return false;
        s.audit.run(at, id, 'state:escalated', null, detail);
        return true;
      })(),

    resolve: (id: string, actor: string | null, note: string | null): boolean =>
      db.transaction(() => {
        const at = iso();
        if (s.resolve.run(at, actor, note, id).changes === 0) return false;
        s.audit.run(at, id, 'state:resolved', actor, note ? 'with note' : null);
        return true;
      })(),

    openCriticals: (): Array<AlertSummary & { nextEscalationAt: string | null }> =>
      s.openCritical.all().map((row) => ({
        ...store.rowToAlert(row),
        nextEscalationAt: typeof row['next_escalation_at'] === 'string' ? row['next_escalation_at'] : null,
      })),
    counts: () => s.counts.get() ?? { open: 0, escalated: 0 },

    audit: (alertId: string | null, action: string, actor: string | null, detail: string | null) =>
      s.audit.run(iso(), alertId, action, actor, detail),

    dueOutbox: (): OutboxItem[] =>
      s.due.all(iso()).map((r) => ({
        id: r.id,
        alertId: r.alert_id,
        kind: r.kind,
        fhirBase: r.fhir_base,
        payload: r.payload,
        attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at,
      })),
    nextOutboxAt: (): number | null => {
      const at = s.nextDue.get()?.at;
      return at ? Date.parse(at) : null;
    },
    outboxSucceeded: (item: OutboxItem, reference: string | null) =>
      db.transaction(() => {
        s.outboxDone.run('done', reference, iso(), item.id);
        s.writeback.run('done', null, reference, item.alertId);
        s.audit.run(iso(), item.alertId, 'writeback:done', null, `${item.kind} ${reference ?? ''}`.trim());
      })(),
    outboxUnsupported: (item: OutboxItem, why: string) =>
      db.transaction(() => {
        s.outboxDone.run('unsupported', null, iso(), item.id);
        s.writeback.run('unsupported', why, null, item.alertId);
        s.audit.run(iso(), item.alertId, 'writeback:unsupported', null, why);
      })(),
    outboxFailed: (item: OutboxItem, error: string, nextAtMs: number) =>
      db.transaction(() => {
        s.outboxRetry.run(error, iso(nextAtMs), item.id);
        s.writeback.run('failed', error, null, item.alertId);
        s.audit.run(iso(), item.alertId, 'writeback:failed', null, error);
      })(),
    retryNow: (alertId: string): number => s.retryNow.run(iso(), alertId).changes,
    outboxCounts: () => s.outboxCounts.get() ?? { pending: 0, failed: 0, lastError: null },

    auditRows: (since: string | undefined, until: string | undefined): AuditRow[] =>
      s.auditRange.all(since ?? '0000', until ?? '9999'),
  };
}
