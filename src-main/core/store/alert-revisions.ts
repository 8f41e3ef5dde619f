// Later news about an alert's focus, in the alert store (alert-store.ts composes it): a newer version
// of the result, the same version again, or the result withdrawn at the source. Same rules as the
// store: conditional UPDATEs, audited in the same transaction.
import type { Db } from '../../lib/sqlite.ts';
import { iso, type AuditedChange } from './alert-audit.ts';
import { OPEN_STATES } from './alert-rows.ts';

const OPEN = `(${OPEN_STATES.map((state) => `'${state}'`).join(', ')})`;

/**
 * Later news about an alert's focus (schema.ts migration 4): a newer version of the result, the same
 * version again (a server that notifies a delete with the last version), or the result withdrawn.
 */
function prepareRevisionStatements(db: Db) {
  return {
    // Whether any alert names this focus on this topic: one seek in alerts_by_focus. Most events are
    // about a result never seen before, and this answers them without the join and the ordering below
    // (a third of an event's commit cost: docs/benchmarks.md, "The store fix").
    anyForFocus: db.prepare<[string, string], { found: number }>(
      'SELECT 1 AS found FROM alerts WHERE focus = ? AND topic = ? LIMIT 1',
    ),
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
    // Enrich again; an open alert that did not interrupt may now (a corrected value turned critical),
    // one already delivered is not delivered again, nor one closed before it was (acknowledged on
    // another workstation, its order decided).
    revise: db.prepare<[string]>(`
      UPDATE alerts SET fetch_status = 'pending', revision = revision + 1, recheck_at = NULL,
        notify_state = CASE WHEN notify_state = 'not-required' AND state IN ${OPEN} THEN 'pending'
          ELSE notify_state END
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

/** `headlineOf(id)`: the alert's headline, '' when it has none, undefined for an unknown alert. */
export function createAlertRevisions(
  db: Db,
  audited: AuditedChange,
  headlineOf: (id: string) => string | undefined,
) {
  const s = prepareRevisionStatements(db);
  return {
    /** The alert this server, user and topic already have for a focus, if any. */
    alertForFocus: (fhirBase: string, owner: string | null, topic: string, focus: string): string | null =>
      s.anyForFocus.get(focus, topic) === undefined
        ? null
        : (s.forFocus.get(fhirBase, owner, topic, focus)?.id ?? null),
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
      const was = headlineOf(id);
      if (was === undefined) return false;
      const reason = `${why}${was ? `; was: ${was}` : ''}`.slice(0, 500);
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
  };
}
