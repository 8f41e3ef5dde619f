// The one owner of alert rows, the audit log and the write-back outbox: every SQL statement over
// `alerts`, `audit_log` and `outbox` is in this file or the parts it composes (alert-outbox.ts,
// alert-revisions.ts, alert-sharing.ts; the schema itself is in schema.ts).
//
// Every transition is a conditional UPDATE (`… WHERE state IN (…)`) with its audit row in the same
// transaction, so a double click, a race or a replay is a no-op that reports `false`. Callers give
// the time of each transition (`at`, epoch ms): the closed loop runs on the alerting clock, the
// pipeline on the wall clock, and neither is hidden in here.
import type { Db } from '../../lib/sqlite.ts';
import type { AlertClass, AlertSummary, ResourceStatus } from '../../shared/api.ts';
import {
  isOpenState,
  OPEN_STATES,
  rowToAlert,
  type AlertRow,
  type AuditRow,
  type LifecycleTimers,
} from './alert-rows.ts';
import { auditedChanges, iso } from './alert-audit.ts';
import { createAlertOutbox, type WritebackRequest } from './alert-outbox.ts';
import { createAlertRevisions } from './alert-revisions.ts';
import { createAlertSharing } from './alert-sharing.ts';

export { RESOLUTION_RECORD, type WritebackRequest } from './alert-outbox.ts';

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
    // Which of a batch's alerts still await their read, and their foci: one query for the batch (the
    // ids as a JSON array), not a whole alert row and view per id.
    stillAwaitingFetch: db.prepare<[string], { id: string; focus: string }>(`
      SELECT id, focus FROM alerts WHERE id IN (SELECT value FROM json_each(?))
        AND (fetch_status = 'pending' OR fetch_retry_at IS NOT NULL)`),
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
    // The row comes back from the UPDATE: a catch-up of 100,000 need not read each one again.
    classify: db.prepare<[Record<string, unknown>], AlertRow>(`
      UPDATE alerts SET tier = @tier, headline = @headline, reason = @reason, patient_ref = @patientRef,
        patient_name = @patientName, patient_mrn = @patientMrn, patient_birth_date = @patientBirthDate,
        location = @location, ward = @ward, fetch_status = @fetchStatus,
        summary = @summary, rule_id = @ruleId, fetch_retry_at = NULL,
        notify_state = CASE
          WHEN notified_unchecked = 1 AND @interrupts = 1 AND notify_state IN ('notified', 'summarised') THEN 'pending'
          WHEN notify_state = 'pending' AND @interrupts = 0 THEN 'not-required'
          ELSE notify_state END,
        notified_unchecked = 0
      WHERE id = @id AND (fetch_status = 'pending' OR fetch_retry_at IS NOT NULL)
      RETURNING *`),
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
    // The escalation tick's candidates (criticalsMaybeDue below).
    criticalsMaybeDue: db.prepare<[{ receivedBy: string; at: string; orChained: number }], AlertRow>(`
      SELECT * FROM alerts WHERE tier = 'critical' AND state IN ${OPEN}
        AND (received_at <= @receivedBy OR next_escalation_at <= @at
          OR (@orChained AND focus IN (SELECT focus FROM escalation_steps)))
      ORDER BY rowid`),
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
    // The names this workstation learnt for people it has a reference of: who acknowledged (here or, from
    // the shared record, elsewhere) and who answered an escalation step. For the audit export.
    peopleNames: db.prepare<[], { reference: string; name: string }>(`
      SELECT acknowledged_by AS reference, acknowledged_by_name AS name FROM alerts
      WHERE acknowledged_by IS NOT NULL AND acknowledged_by_name IS NOT NULL
      UNION
      SELECT answered_by, answered_by_name FROM escalation_steps
      WHERE answered_by IS NOT NULL AND answered_by_name IS NOT NULL`),
    pruneAlerts: db.prepare<[string]>(`
      DELETE FROM alerts WHERE received_at < ?
        AND (state IN ('acknowledged', 'resolved') OR tier NOT IN ('critical', 'high'))`),
    pruneAudit: db.prepare<[string]>('DELETE FROM audit_log WHERE at < ?'),
  };
}

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
  // The write-back duty queued with a transition (alert-outbox.ts).
  const outbox = createAlertOutbox(db, audit);
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
  const audited = auditedChanges(db, audit);
  // Later news about a focus: revised or withdrawn at the source (alert-revisions.ts).
  const revisions = createAlertRevisions(db, audited, (id) => {
    const row = s.get.get(id);
    return row ? (row.headline ?? '') : undefined;
  });

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
    /** Whether the alert still waits for a person (OPEN_STATES); false for one not (or no longer) stored. */
    isOpen: (id: string): boolean => {
      const row = s.get.get(id);
      return row !== undefined && isOpenState(row.state);
    },
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
    /** Those of `ids` still awaiting their read (never read, or owed), with their foci, in `ids` order. */
    stillAwaitingFetch: (ids: readonly string[]): { id: string; focus: string }[] => {
      const found = new Map(s.stillAwaitingFetch.all(JSON.stringify(ids)).map((r) => [r.id, r.focus]));
      return ids.flatMap((id) => {
        const focus = found.get(id);
        return focus === undefined ? [] : [{ id, focus }];
      });
    },
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
      const saved = s.classify.get({
        id,
        ...c,
        summary: c.summary ?? null,
        ruleId: c.ruleId ?? null,
        patientMrn: c.patientMrn ?? null,
        patientBirthDate: c.patientBirthDate ?? null,
        ward: c.ward ?? null,
        interrupts: interrupts ? 1 : 0,
      });
      return saved ? toAlert(saved) : null;
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
        if (writeback) outbox.enqueue(id, writeback, at, { showOnAlert: true });
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
        if (writeback) outbox.enqueue(id, writeback, at, { showOnAlert: false });
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
    /**
     * The open criticals an escalation tick must look at: those received at or before `receivedBy`
     * (nothing is due sooner than the first wait after arrival), those whose next escalation is due by
     * `at`, and with `orChained` those whose result has an escalation chain (a step declined on any
     * workstation makes the next one due at once). A catch-up's thousands of fresh criticals are then
     * not read and converted every tick only to be found not yet due. A superset of what is due: the
     * caller still decides per alert.
     */
    criticalsMaybeDue: (window: {
      receivedBy: number;
      at: number;
      orChained: boolean;
    }): Array<AlertSummary & { nextEscalationAt: string | null }> =>
      s.criticalsMaybeDue
        .all({ receivedBy: iso(window.receivedBy), at: iso(window.at), orChained: window.orChained ? 1 : 0 })
        .map((row) => ({ ...toAlert(row), nextEscalationAt: row.next_escalation_at })),
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

    /** reference → name for the people this workstation knows by name (one of its names, if several). */
    peopleNames: (): Map<string, string> =>
      new Map(s.peopleNames.all().map((row) => [row.reference, row.name] as const)),

    ...outbox.api,

    ...revisions,

    /** Retention: closed or non-urgent alerts received before `alertsBefore`, audit rows before `auditBefore`. */
    prune: (alertsBefore: string, auditBefore: string) => ({
      alerts: s.pruneAlerts.run(alertsBefore).changes,
      auditRows: s.pruneAudit.run(auditBefore).changes,
    }),
  };
}
