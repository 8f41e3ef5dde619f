// The closed loop across workstations, in this workstation's database (docs/alerting.md): what other
// workstations did to a result (acknowledged, resolved, escalated), learned from the server's records,
// and the closed-loop events still to be applied. It is part of the alert store (alert-store.ts exposes
// it as `alerts.sharing`) and follows its rules: every change to an alert row is a conditional UPDATE
// with its audit row in the same transaction, so a repeat, a race or a replay changes nothing.
//
// A result is known by its server and focus (`Observation/…`), not by an alert id: each workstation,
// and each owner on one workstation, has its own alert rows for the same result, and all of them follow
// the one record on the server.
import type { Db } from '../../lib/sqlite.ts';
import type { OrderDecision } from '../../shared/api.ts';
import { iso, type AuditFn } from './alert-audit.ts';
import { OPEN_STATES, stepToView, type StepRow } from './alert-rows.ts';

/** An acknowledgment or resolution record on the server (alerting/loop-resources.ts reads it). */
export interface SharedAcknowledgment {
  kind: 'acknowledgment' | 'resolution';
  focus: string;
  actor: string;
  actorName: string | null;
  /** When it was done (ISO). */
  at: string;
  /** An acknowledgment's read-back note as the server holds it (null: none, or a resolution). */
  note: string | null;
}

/** An escalation step Task on the server, as far as the store keeps it. */
export interface SharedStep {
  /** `Task/…` */
  reference: string;
  version: string | null;
  focus: string;
  step: number;
  status: 'requested' | 'accepted' | 'declined' | 'cancelled' | 'fail-safe';
  /** The PractitionerRole or Group asked (null for the fail-safe step). */
  target: string | null;
  targetName: string | null;
  /** The PractitionerRoles asked. */
  recipients: string[];
  /** The care role asked (`nurse`, `charge-nurse`), or null. */
  role: string | null;
  askedAt: string;
  /** When the next step is due if nobody answers. */
  dueAt: string | null;
  answeredBy: string | null;
  answeredByName: string | null;
  answeredAt: string | null;
}

/** A medication order a pharmacist decided: her verification Task (pharmacy/decisions.ts reads it). */
export interface OrderDecided {
  /** `MedicationRequest/…`: the focus of the alerts that asked for it to be verified. */
  order: string;
  decision: OrderDecision;
  /** The pharmacist's fhirUser. */
  actor: string;
  /** When she decided (ISO). */
  at: string;
}

const DECIDED_WORDS = { verify: 'order verified', reject: 'order rejected' } as const;

/** A closed-loop event committed with its cursor, waiting to be applied. */
export interface LoopEvent {
  subscriptionKey: string;
  eventNumber: number;
  topic: string;
  focus: string;
  fhirBase: string;
  attempts: number;
}

const TOPIC_BASE = 'http://alert-monitor.local/fhir/SubscriptionTopic';
/** The embedded server's closed-loop topics (monitor/topics.ts subscribes to them). */
export const ACKNOWLEDGED_TOPIC = `${TOPIC_BASE}/critical-result-acknowledged`;
export const ESCALATION_TOPIC = `${TOPIC_BASE}/critical-result-escalation`;
/** A pharmacist's verification Task created or changing status: an order was decided. */
export const ORDER_VERIFICATION_TOPIC = `${TOPIC_BASE}/order-verification`;
/** A prescriber's answer to a pharmacist's question: the held order is back in the worklist. */
export const CLARIFICATION_ANSWERED_TOPIC = `${TOPIC_BASE}/order-clarification-answered`;
/**
 * Topics whose events are closed-loop records (an acknowledgment, a resolution, an escalation step, an
 * order's verification, a prescriber's answer), not alerts: their events are committed with the cursor
 * like any other, but go to `loop_inbox`.
 */
export const CLOSED_LOOP_TOPICS: ReadonlySet<string> = new Set([
  ACKNOWLEDGED_TOPIC,
  ESCALATION_TOPIC,
  ORDER_VERIFICATION_TOPIC,
  CLARIFICATION_ANSWERED_TOPIC,
]);

const OPEN = `(${OPEN_STATES.map((state) => `'${state}'`).join(', ')})`;

function prepareStatements(db: Db) {
  return {
    alertsForFocus: db.prepare<[string, string], { id: string }>(`
      SELECT a.id FROM alerts a JOIN subscriptions s ON s.key = a.subscription_key
      WHERE s.fhir_base = ? AND a.focus = ? ORDER BY a.rowid`),
    fhirBaseOf: db.prepare<[string], { fhir_base: string }>(`
      SELECT s.fhir_base FROM alerts a JOIN subscriptions s ON s.key = a.subscription_key WHERE a.id = ?`),
    ackElsewhere: db.prepare(`
      UPDATE alerts SET state = 'acknowledged', acknowledged_by = @actor, acknowledged_by_name = @name,
        acknowledged_at = @at, ack_note = @note, ack_elsewhere = 1, next_escalation_at = NULL,
        notify_state = CASE WHEN notify_state = 'pending' THEN 'not-required' ELSE notify_state END
      WHERE id = @id AND state IN ${OPEN}`),
    // This workstation recorded its own acknowledgment, but the server's record (the first) names
    // someone else: that person, her time and her read-back stand everywhere (the local note was not
    // recorded there).
    supersede: db.prepare(`
      UPDATE alerts SET acknowledged_by = @actor, acknowledged_by_name = @name, acknowledged_at = @at,
        ack_note = @note, ack_elsewhere = 1
      WHERE id = @id AND state IN ('acknowledged', 'resolved') AND acknowledged_by IS NOT @actor`),
    // The same person acknowledged on another screen first (this one's write-back found her record
    // held): that record's time and read-back stand here too.
    supersedeOwn: db.prepare(`
      UPDATE alerts SET acknowledged_by_name = COALESCE(@name, acknowledged_by_name), acknowledged_at = @at,
        ack_note = @note, ack_elsewhere = 1
      WHERE id = @id AND state IN ('acknowledged', 'resolved') AND acknowledged_by = @actor`),
    nameAck: db.prepare(`
      UPDATE alerts SET acknowledged_by_name = @name
      WHERE id = @id AND acknowledged_by = @actor AND acknowledged_by_name IS NULL AND @name IS NOT NULL`),
    resolveElsewhere: db.prepare(`
      UPDATE alerts SET state = 'resolved', resolved_by = @actor, resolved_at = @at, resolved_elsewhere = 1,
        next_escalation_at = NULL,
        notify_state = CASE WHEN notify_state = 'pending' THEN 'not-required' ELSE notify_state END
      WHERE id = @id AND (state IN ${OPEN} OR state = 'acknowledged')`),
    // A decided order: the alert that asked for its verification has done its work, whoever decided.
    resolveDecidedOrder: db.prepare(`
      UPDATE alerts SET state = 'resolved', resolved_by = @actor, resolved_at = @at,
        resolve_note = @note, resolved_elsewhere = @elsewhere, next_escalation_at = NULL,
        notify_state = CASE WHEN notify_state = 'pending' THEN 'not-required' ELSE notify_state END
      WHERE id = @id AND (state IN ${OPEN} OR state = 'acknowledged')`),
    rememberDecidedOrder: db.prepare(`
      INSERT OR IGNORE INTO decided_orders
        (fhir_base, order_ref, decision, actor, decided_at, here, remembered_at)
      VALUES (@fhirBase, @order, @decision, @actor, @at, @here, @rememberedAt)`),
    decidedOrder: db.prepare<
      [string, string],
      { decision: 'verify' | 'reject'; actor: string; decided_at: string; here: number }
    >('SELECT decision, actor, decided_at, here FROM decided_orders WHERE fhir_base = ? AND order_ref = ?'),
    escalateToStep: db.prepare(`
      UPDATE alerts SET state = 'escalated', escalated_at = COALESCE(escalated_at, @at),
        escalation_level = @step, next_escalation_at = @next
      WHERE id = @id AND state IN ${OPEN} AND tier = 'critical' AND escalation_level < @step`),
    insertLoop: db.prepare<[string, number, string, string, string]>(`
      INSERT OR IGNORE INTO loop_inbox (subscription_key, event_number, topic, focus, received_at)
      VALUES (?, ?, ?, ?, ?)`),
    pendingLoop: db.prepare<[string, string | null], LoopEvent>(`
      SELECT l.subscription_key AS subscriptionKey, l.event_number AS eventNumber, l.topic, l.focus,
        s.fhir_base AS fhirBase, l.attempts
      FROM loop_inbox l JOIN subscriptions s ON s.key = l.subscription_key
      WHERE s.fhir_base = ? AND s.owner IS ? ORDER BY l.received_at, l.event_number`),
    loopDone: db.prepare<[string, number]>(
      'DELETE FROM loop_inbox WHERE subscription_key = ? AND event_number = ?',
    ),
    loopAttempt: db.prepare<[string, number]>(
      'UPDATE loop_inbox SET attempts = attempts + 1 WHERE subscription_key = ? AND event_number = ?',
    ),
    getStep: db.prepare<[string, string, number], StepRow>(
      'SELECT * FROM escalation_steps WHERE fhir_base = ? AND focus = ? AND step = ?',
    ),
    stepsFor: db.prepare<[string, string], StepRow>(
      'SELECT * FROM escalation_steps WHERE fhir_base = ? AND focus = ? ORDER BY step',
    ),
    // No ORDER BY (the caller sorts the few steps): read for every critical an alert read returns, and
    // with it SQLite opens a sorter per call — 15 µs instead of 3 µs on an empty table, 1.6 s of a
    // 100,000-alert catch-up (docs/benchmarks.md).
    stepsForSubscription: db.prepare<[string, string], StepRow>(`
      SELECT * FROM escalation_steps
      WHERE fhir_base = (SELECT fhir_base FROM subscriptions WHERE key = ?) AND focus = ?`),
    claimStep: db.prepare<[string, string, number, string]>(`
      INSERT OR IGNORE INTO escalation_steps (fhir_base, focus, step, status, updated_at)
      VALUES (?, ?, ?, 'issuing', ?)`),
    saveStep: db.prepare(`
      INSERT INTO escalation_steps (fhir_base, focus, step, status, task_ref, version, role, target,
        target_name, recipients, asked_at, due_at, answered_by, answered_by_name, answered_at, updated_at)
      VALUES (@fhirBase, @focus, @step, @status, @reference, @version, @role, @target, @targetName,
        @recipients, @askedAt, @dueAt, @answeredBy, @answeredByName, @answeredAt, @updatedAt)
      ON CONFLICT (fhir_base, focus, step) DO UPDATE SET status = excluded.status,
        task_ref = excluded.task_ref, version = excluded.version, role = excluded.role,
        target = excluded.target, target_name = excluded.target_name, recipients = excluded.recipients,
        asked_at = excluded.asked_at, due_at = excluded.due_at, answered_by = excluded.answered_by,
        answered_by_name = excluded.answered_by_name, answered_at = excluded.answered_at,
        updated_at = excluded.updated_at`),
    awaitingNotice: db.prepare<[], StepRow>(`
      SELECT * FROM escalation_steps WHERE status IN ('requested', 'fail-safe') AND notice <> 'notified'
      ORDER BY asked_at, step`),
    claimNotice: db.prepare<[string, string, number]>(`
      UPDATE escalation_steps SET notice = 'notifying'
      WHERE fhir_base = ? AND focus = ? AND step = ? AND notice = 'none'`),
    noticed: db.prepare<[string, string, number]>(`
      UPDATE escalation_steps SET notice = 'notified'
      WHERE fhir_base = ? AND focus = ? AND step = ? AND notice = 'notifying'`),
    reclaimNotices: db.prepare("UPDATE escalation_steps SET notice = 'none' WHERE notice = 'notifying'"),
  };
}

/** A Task version as a number, for "is this newer" (FHIR version ids are opaque; ours are counts). */
function versionNumber(version: string | null): number | null {
  return version !== null && /^\d{1,12}$/.test(version) ? Number(version) : null;
}

/** Whether `fact` says more than the stored row: a new step, the first answer, or a later version. */
function isNews(previous: StepRow | undefined, fact: SharedStep): boolean {
  if (!previous || previous.status === 'issuing') return true;
  const before = versionNumber(previous.version);
  const after = versionNumber(fact.version);
  if (before !== null && after !== null) return after > before;
  return previous.status !== fact.status;
}

function stepWords(fact: SharedStep): string {
  const who = fact.targetName ?? fact.target ?? 'the fail-safe contact list';
  return `step ${fact.step}: ${fact.role ?? 'unknown role'} — ${who}`;
}

export type AlertSharing = ReturnType<typeof createAlertSharing>;

export function createAlertSharing(db: Db, audit: AuditFn) {
  const s = prepareStatements(db);
  const alertIds = (fhirBase: string, focus: string): string[] =>
    s.alertsForFocus.all(fhirBase, focus).map((r) => r.id);

  /** One alert follows the server's acknowledgment record; true when that changed the alert. */
  function followAcknowledgment(
    id: string,
    fact: SharedAcknowledgment,
    at: number,
  ): 'opened' | 'changed' | null {
    const values = { id, actor: fact.actor, name: fact.actorName, at: fact.at, note: fact.note };
    if (s.ackElsewhere.run(values).changes === 1) {
      audit(id, 'state:acknowledged', fact.actor, 'on another workstation', at);
      return 'opened';
    }
    if (s.supersede.run(values).changes === 1) {
      audit(id, 'acknowledgment-superseded', fact.actor, 'the server holds an earlier acknowledgment', at);
      return 'changed';
    }
    return s.nameAck.run(values).changes === 1 ? 'changed' : null;
  }

  function followResolution(id: string, fact: SharedAcknowledgment, at: number): boolean {
    if (s.resolveElsewhere.run({ id, actor: fact.actor, at: fact.at }).changes === 0) return false;
    audit(id, 'state:resolved', fact.actor, 'on another workstation', at);
    return true;
  }

  /** One alert about a verified or rejected order is resolved by the pharmacist; true when it changed. */
  function resolveForDecision(
    id: string,
    decided: OrderDecided & { decision: keyof typeof DECIDED_WORDS },
    here: boolean,
    at: number,
  ): boolean {
    const note = DECIDED_WORDS[decided.decision];
    const values = { id, actor: decided.actor, at: decided.at, note, elsewhere: here ? 0 : 1 };
    if (s.resolveDecidedOrder.run(values).changes === 0) return false;
    audit(id, 'state:resolved', decided.actor, here ? note : `${note}, on another workstation`, at);
    return true;
  }

  /** Audit what a step says that is new to this workstation, on each of its alerts of that result. */
  function auditStep(ids: readonly string[], previous: StepRow | undefined, fact: SharedStep, at: number) {
    const first = !previous || previous.status === 'issuing';
    for (const id of ids) {
      if (first)
        audit(
          id,
          fact.status === 'fail-safe' ? 'escalation:fail-safe' : 'escalation:asked',
          null,
          stepWords(fact),
          at,
        );
      if (fact.status === 'accepted' || fact.status === 'declined')
        audit(id, `escalation:${fact.status}`, fact.answeredBy, `step ${fact.step}`, at);
      if (first && fact.status !== 'cancelled')
        s.escalateToStep.run({ id, step: fact.step, next: fact.dueAt, at: iso(at) });
    }
  }

  return {
    /** This workstation's alerts about a result on a server (every owner's). */
    alertIds,
    /** The server an alert came from, or null. */
    fhirBaseOf: (id: string): string | null => s.fhirBaseOf.get(id)?.fhir_base ?? null,

    /**
     * The server's acknowledgment record for a result: each open alert of it becomes acknowledged by
     * that person "on another workstation", and a local acknowledgment that lost the race shows the
     * winner. Returns the alerts that were open (their notifications are withdrawn) and all changed.
     */
    applyAcknowledgment: (fhirBase: string, fact: SharedAcknowledgment, at: number) =>
      db.transaction(() => {
        const opened: string[] = [];
        const changed: string[] = [];
        for (const id of alertIds(fhirBase, fact.focus)) {
          const outcome = followAcknowledgment(id, fact, at);
          if (outcome === 'opened') opened.push(id);
          if (outcome) changed.push(id);
        }
        return { opened, changed };
      })(),
    /** The server's resolution record: each alert of the result not yet resolved is, "elsewhere". */
    applyResolution: (fhirBase: string, fact: SharedAcknowledgment, at: number): string[] =>
      db.transaction(() => alertIds(fhirBase, fact.focus).filter((id) => followResolution(id, fact, at)))(),
    /**
     * An order was verified or rejected (`here`: on this workstation; else learned from the server's
     * verification Task): every alert this workstation holds about the order is resolved by the deciding
     * pharmacist. A clarification request decides nothing yet: its alerts stay open. Returns the alerts
     * that changed (none when they were resolved already).
     */
    closeDecidedOrder: (fhirBase: string, decided: OrderDecided, here: boolean, at: number): string[] => {
      const { decision } = decided;
      if (decision === 'clarify') return [];
      return db.transaction(() => {
        // Kept for an alert about the order that this workstation has not stored yet (closeIfDecided).
        // The first record stands: her own decision coming back from the server is not "elsewhere".
        s.rememberDecidedOrder.run({
          fhirBase,
          ...decided,
          decision,
          here: here ? 1 : 0,
          rememberedAt: iso(at),
        });
        return alertIds(fhirBase, decided.order).filter((id) =>
          resolveForDecision(id, { ...decided, decision }, here, at),
        );
      })();
    },
    /**
     * A new alert (inside the event commit's transaction): when its focus is an order already decided,
     * it is stored resolved, and nothing is notified for it. True when it was closed.
     */
    closeIfDecided: (fhirBase: string, alertId: string, focus: string, at: number): boolean => {
      if (!focus.startsWith('MedicationRequest/')) return false;
      const row = s.decidedOrder.get(fhirBase, focus);
      if (!row) return false;
      const decided = { order: focus, decision: row.decision, actor: row.actor, at: row.decided_at };
      return resolveForDecision(alertId, decided, row.here === 1, at);
    },
    /** This alert's own write-back found the server already holding another person's acknowledgment. */
    adoptAcknowledgment: (id: string, fact: SharedAcknowledgment, at: number): boolean =>
      db.transaction(() => followAcknowledgment(id, fact, at) !== null)(),
    /**
     * This alert's own write-back found the server holding the same person's acknowledgment from
     * another screen (another time or read-back than this one's): it stands here too.
     */
    adoptOwnEarlierAcknowledgment: (id: string, fact: SharedAcknowledgment, at: number): boolean =>
      db.transaction(() => {
        const values = { id, actor: fact.actor, name: fact.actorName, at: fact.at, note: fact.note };
        if (s.supersedeOwn.run(values).changes === 0) return false;
        audit(
          id,
          'acknowledgment-superseded',
          fact.actor,
          'her acknowledgment on another screen came first',
          at,
        );
        return true;
      })(),
    /** This alert's resolution write-back found the result already resolved by someone else. */
    adoptResolution: (id: string, fact: SharedAcknowledgment, at: number): boolean =>
      db.transaction(() => followResolution(id, fact, at))(),

    /** Keep a closed-loop event for later (inside the event commit's transaction). */
    recordLoopEvent: (
      subscriptionKey: string,
      eventNumber: number,
      topic: string,
      focus: string,
      at: string,
    ) => void s.insertLoop.run(subscriptionKey, eventNumber, topic, focus, at),
    /** Closed-loop events of one server and owner's subscriptions still to be applied, oldest first. */
    pendingLoopEvents: (fhirBase: string, owner: string | null): LoopEvent[] =>
      s.pendingLoop.all(fhirBase, owner),
    loopEventApplied: (event: Pick<LoopEvent, 'subscriptionKey' | 'eventNumber'>) =>
      void s.loopDone.run(event.subscriptionKey, event.eventNumber),
    loopEventFailed: (event: Pick<LoopEvent, 'subscriptionKey' | 'eventNumber'>) =>
      void s.loopAttempt.run(event.subscriptionKey, event.eventNumber),

    /** The chain of a result, first step first. */
    steps: (fhirBase: string, focus: string): StepRow[] => s.stepsFor.all(fhirBase, focus),
    step: (fhirBase: string, focus: string, step: number): StepRow | null =>
      s.getStep.get(fhirBase, focus, step) ?? null,
    /** The chain as the renderer shows it, for an alert row (its subscription names the server). */
    chainOf: (subscriptionKey: string, focus: string) =>
      s.stepsForSubscription
        .all(subscriptionKey, focus)
        .sort((a, b) => a.step - b.step)
        .map(stepToView),
    /**
     * This workstation is about to write step `step` of a result: the intent is durable first, so a
     * crash mid-step is retried at the next start (the server keeps one Task whoever writes it). True
     * when this call recorded the intent; false when the step was already known.
     */
    claimStep: (fhirBase: string, focus: string, step: number, at: number): boolean =>
      s.claimStep.run(fhirBase, focus, step, iso(at)).changes === 1,
    /**
     * What the server's Task says about a step; audited on the result's alerts when it is news, and an
     * open alert moves to that escalation level. Returns the alerts it concerns, or null when no news.
     */
    saveStep: (fhirBase: string, fact: SharedStep, at: number) =>
      db.transaction(() => {
        const previous = s.getStep.get(fhirBase, fact.focus, fact.step);
        if (!isNews(previous, fact)) return null;
        s.saveStep.run({
          fhirBase,
          ...fact,
          recipients: JSON.stringify(fact.recipients),
          updatedAt: iso(at),
        });
        const ids = alertIds(fhirBase, fact.focus);
        auditStep(ids, previous, fact, at);
        return { alertIds: ids, firstSeen: !previous || previous.status === 'issuing' };
      })(),

    /** Steps asked (or the fail-safe reached) that this workstation has not told anyone about yet. */
    stepsAwaitingNotice: (): StepRow[] => s.awaitingNotice.all(),
    /** Claim telling about a step (none → notifying): true exactly once, across restarts. */
    claimNotice: (row: Pick<StepRow, 'fhir_base' | 'focus' | 'step'>): boolean =>
      s.claimNotice.run(row.fhir_base, row.focus, row.step).changes === 1,
    markNoticed: (row: Pick<StepRow, 'fhir_base' | 'focus' | 'step'>) =>
      void s.noticed.run(row.fhir_base, row.focus, row.step),
    /** Notices cut off by a crash are given again (a repeat is preferred over a lost escalation). */
    reclaimNotices: () => void s.reclaimNotices.run(),
  };
}
