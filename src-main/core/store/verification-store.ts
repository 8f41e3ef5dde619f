// The one owner of the pharmacist's decisions and their durable write-back (table verification_outbox,
// migration 7 in schema.ts): every SQL statement over it is here. A decision is recorded before anything
// is sent, once per order and decision, and leaves 'pending' only when the server accepted it.
import type { Db } from '../../lib/sqlite.ts';
import type { OrderDecision, OrderDecisionState } from '../../shared/api.ts';
import { field, parseJson, records, str } from '../../shared/fhir-json.ts';

export interface VerificationRow {
  id: number;
  fhirBase: string;
  actor: string;
  orderRef: string;
  decision: OrderDecision;
  payload: string;
  state: 'pending' | 'done';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
}

interface Row {
  id: number;
  fhir_base: string;
  actor: string;
  order_ref: string;
  decision: string;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
}

const DECISIONS: readonly OrderDecision[] = ['verify', 'reject', 'clarify'];

function toRow(row: Row): VerificationRow {
  return {
    id: row.id,
    fhirBase: row.fhir_base,
    actor: row.actor,
    orderRef: row.order_ref,
    decision: DECISIONS.find((d) => d === row.decision) ?? 'clarify',
    payload: row.payload,
    state: row.state === 'done' ? 'done' : 'pending',
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

/** The actor key's user part: `<fhirBase>|<fhirUser>` → fhirUser. */
const userOf = (actor: string): string => actor.slice(actor.lastIndexOf('|') + 1);

export function decisionState(row: VerificationRow): OrderDecisionState {
  return {
    decision: row.decision,
    at: row.createdAt,
    by: userOf(row.actor),
    state: row.state === 'done' ? 'done' : row.lastError ? 'failed' : 'pending',
    error: row.lastError,
    reason: reasonOf(row.payload),
  };
}

/**
 * A clarification's questions as one line, the first one first: what the page's decision line and the
 * verification Task's reason say ("Indication? — then: is she on an anticoagulant?").
 */
export function questionsLine(questions: readonly string[]): string | null {
  const [first, ...later] = questions;
  if (first === undefined) return null;
  return [first, ...later.map((question) => `then: ${question}`)].join(' — ');
}

/**
 * The decision's reason, or a clarification's questions, from its stored record (decisions.ts
 * DecisionRecord: `reason`, then each follow-up's `question`), if any.
 */
function reasonOf(payload: string): string | null {
  const record = parseJson(payload);
  const first = str(field(record, 'reason'));
  const later = records(field(record, 'followUps'))
    .map((f) => str(f['question']))
    .filter((q): q is string => q !== null);
  return questionsLine([...(first ? [first] : []), ...later]);
}

export type VerificationStore = ReturnType<typeof createVerificationStore>;

export function createVerificationStore(db: Db) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const s = {
    insert: db.prepare<[string, string, string, string, string, string, string]>(`
      INSERT OR IGNORE INTO verification_outbox
        (fhir_base, actor, order_ref, decision, payload, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    byKey: db.prepare<[string, string, string], Row>(
      'SELECT * FROM verification_outbox WHERE fhir_base = ? AND order_ref = ? AND decision = ?',
    ),
    latest: db.prepare<[string, string], Row>(
      'SELECT * FROM verification_outbox WHERE fhir_base = ? AND order_ref = ? ORDER BY id DESC LIMIT 1',
    ),
    decided: db.prepare<[string], { order_ref: string; decision: string }>(
      'SELECT order_ref, decision FROM verification_outbox WHERE fhir_base = ? ORDER BY id',
    ),
    due: db.prepare<[string], Row>(
      "SELECT * FROM verification_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id",
    ),
    next: db.prepare<[], { at: string | null }>(
      "SELECT MIN(next_attempt_at) AS at FROM verification_outbox WHERE state = 'pending'",
    ),
    // Only the payload that was sent: a follow-up question recorded meanwhile is still to send.
    done: db.prepare<[string, number, string]>(
      "UPDATE verification_outbox SET state = 'done', done_at = ?, last_error = NULL, attempts = attempts + 1 WHERE id = ? AND state = 'pending' AND payload = ?",
    ),
    retry: db.prepare<[string, string, number, string]>(
      "UPDATE verification_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending' AND payload = ?",
    ),
    followUp: db.prepare<[string, string, number]>(
      "UPDATE verification_outbox SET payload = ?, state = 'pending', attempts = 0, last_error = NULL, next_attempt_at = ?, done_at = NULL WHERE id = ? AND decision = 'clarify'",
    ),
    byId: db.prepare<[number], Row>('SELECT * FROM verification_outbox WHERE id = ?'),
    now: db.prepare<[string, number]>(
      "UPDATE verification_outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending'",
    ),
  };
  return {
    /**
     * Record a decision once; the same order and decision again returns the first record. `alongside`
     * (what the decision changes elsewhere in this database) commits with it or not at all.
     */
    record<T>(
      input: {
        fhirBase: string;
        actor: string;
        orderRef: string;
        decision: OrderDecision;
        payload: string;
        at: number;
      },
      alongside: () => T,
    ): { row: VerificationRow; created: boolean; alongside: T } {
      return db.transaction(() => {
        const result = s.insert.run(
          input.fhirBase,
          input.actor,
          input.orderRef,
          input.decision,
          input.payload,
          iso(input.at),
          iso(input.at),
        );
        const row = s.byKey.get(input.fhirBase, input.orderRef, input.decision);
        if (!row) throw new Error('verification record vanished');
        return { row: toRow(row), created: result.changes > 0, alongside: alongside() };
      })();
    },
    latest(fhirBase: string, orderRef: string): VerificationRow | null {
      const row = s.latest.get(fhirBase, orderRef);
      return row ? toRow(row) : null;
    },
    /** Every order decided on this workstation for a server, with its latest decision. */
    decided(fhirBase: string): Map<string, OrderDecision> {
      const out = new Map<string, OrderDecision>();
      for (const row of s.decided.all(fhirBase)) {
        const decision = DECISIONS.find((d) => d === row.decision);
        if (decision) out.set(row.order_ref, decision);
      }
      return out;
    },
    due: (now: number): VerificationRow[] => s.due.all(iso(now)).map(toRow),
    nextAttemptAt(): number | null {
      const at = s.next.get()?.at;
      return at ? Date.parse(at) : null;
    },
    /** The row was sent as `payload`: done, unless a follow-up changed it meanwhile. */
    succeeded: (id: number, at: number, payload: string): boolean =>
      s.done.run(iso(at), id, payload).changes > 0,
    failed: (id: number, error: string, nextAt: number, payload: string): boolean =>
      s.retry.run(error.slice(0, 300), iso(nextAt), id, payload).changes > 0,
    /**
     * A follow-up question on a clarification request: its record (`payload`, with every question) is
     * to be sent again at once — each message and the Task are written by id or identifier, so what
     * was sent before is written once.
     */
    addFollowUp(id: number, payload: string, at: number): VerificationRow | null {
      s.followUp.run(payload, iso(at), id);
      const row = s.byId.get(id);
      return row ? toRow(row) : null;
    },
    retryNow: (id: number, at: number): boolean => s.now.run(iso(at), id).changes > 0,
  };
}
