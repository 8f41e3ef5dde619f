// The write-back outbox of the alert store (alert-store.ts): the duty to write an acknowledgment or a
// resolution back to the server, queued in the same transaction as the transition it records, and its
// outcome shown on the alert. Part of the one owner of alert SQL: alert-store.ts composes it.
import type { Db } from '../../lib/sqlite.ts';
import { iso, type AuditFn } from './alert-audit.ts';
import { toOutboxItem, type OutboxItem, type OutboxRow } from './alert-rows.ts';

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

function prepareOutboxStatements(db: Db) {
  return {
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
  };
}

export function createAlertOutbox(db: Db, audit: AuditFn) {
  const s = prepareOutboxStatements(db);

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
    /**
     * Queue `writeback` for alert `id`; call inside the transition's transaction. With `showOnAlert`
     * (an acknowledgment) the alert's write-back state becomes 'pending'.
     */
    enqueue(id: string, writeback: WritebackRequest, at: number, { showOnAlert }: { showOnAlert: boolean }) {
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
      if (showOnAlert) s.writebackQueued.run(id);
    },
    /** What the alert store exposes. */
    api: {
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
    },
  };
}
