// The pharmacist's handlers (docs/pharmacy.md): the worklist, the review of one order, and decisions
// (verify with an override reason per flag, reject with a reason, ask the prescriber), recorded durably
// before they are sent (store/verification-store.ts, sender.ts). Only a signed-in pharmacist decides;
// the server enforces it again (its role table and ward rules).
import type {
  MonitorHandlers,
  OrderDecisionResult,
  OrderFlag,
  UserRole,
  VerificationTargets,
} from '../../shared/api.ts';
import { ApiRefusedError } from '../../shared/api.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { OrderChecksHolder } from '../rules/order-checks-holder.ts';
import type { OrderDecided } from '../store/alert-sharing.ts';
import { decisionState, type VerificationRow, type VerificationStore } from '../store/verification-store.ts';
import {
  lastAsked,
  MAX_FOLLOW_UPS,
  parseDecisionRecord,
  questionsOf,
  type DecidedFlag,
  type DecisionRecord,
} from './decisions.ts';
import { DEFAULT_TARGETS } from './order-facts.ts';
import { buildReview } from './review.ts';
import { createDecisionSender } from './sender.ts';
import { relativeReference } from '../views.ts';
import { buildWorklist } from './worklist.ts';

/** The signed-in user as the pharmacy sees her. */
export interface PharmacistSession {
  fhirBase: string;
  fhirUser: string | null;
  access: FhirAccess;
  /** Owner key `<fhirBase>|<fhirUser>` (store/owners.ts): only her session sends her decisions. */
  owner: string;
  role: UserRole | null;
}

export type PharmacyHandlers = Pick<
  MonitorHandlers,
  'listWorklist' | 'getOrderReview' | 'decideOrder' | 'getOrderChecksStatus' | 'reloadOrderChecks'
>;

export interface PharmacyOptions {
  decisions: VerificationStore;
  checks: OrderChecksHolder;
  targets?: Partial<VerificationTargets>;
  session(): PharmacistSession | null;
  logger: Logger;
  /** Orders joined or left the worklist on this workstation. */
  onWorklistChange(orders: string[]): void;
  /**
   * She decided an order here: its alerts on this workstation have done their work. Runs inside the
   * decision's transaction (both commit or neither); returns the alerts it closed.
   */
  closeDecidedAlerts(fhirBase: string, decided: OrderDecided): string[];
  /** After the commit: the closed alerts' notifications and pushes (maybe still being sent). */
  onDecided(order: string, closed: string[]): void;
  backoff?: { baseMs: number; capMs: number };
}

export interface Pharmacy {
  handlers: PharmacyHandlers;
  /** Send what is due (after a sign-in, or a new decision). */
  pump(): Promise<void>;
  stop(): void;
}

const refused = (message: string) => new ApiRefusedError('not-permitted', message);

/** Why a decision cannot be recorded as asked, or null. */
function problemWith(
  decision: DecisionRecord['decision'],
  reason: string | null,
  flags: readonly OrderFlag[],
  overrides: ReadonlyMap<string, string>,
): string | null {
  if (decision === 'reject' && !reason) return 'A rejection needs a reason.';
  if (decision === 'clarify' && !reason)
    return 'A clarification request needs the question for the prescriber.';
  if (decision !== 'verify') return null;
  const missing = flags.filter((f) => !overrides.get(f.id));
  return missing.length > 0
    ? `Verifying needs an override reason for every flag: ${missing.map((f) => f.text).join('; ')}.`
    : null;
}

export function createPharmacy(options: PharmacyOptions): Pharmacy {
  const targets: VerificationTargets = { ...DEFAULT_TARGETS, ...options.targets };
  const { decisions } = options;
  const sender = createDecisionSender({
    decisions,
    logger: options.logger,
    accessFor: (fhirBase, actor) => {
      const session = options.session();
      return session && session.fhirBase === fhirBase && session.owner === actor ? session.access : null;
    },
    onChange: (order) => options.onWorklistChange([order]),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });

  const requireSession = (): PharmacistSession => {
    const session = options.session();
    if (!session) throw new ApiRefusedError('sign-in-required', 'Sign in to see the worklist.');
    return session;
  };

  /** A follow-up question on the clarification request `row` records: sent as its own message. */
  function askAgain(row: VerificationRow, asked: DecisionRecord, question: string): OrderDecisionResult {
    if (asked.followUps.length >= MAX_FOLLOW_UPS)
      return {
        accepted: false,
        message: `Not sent: ${MAX_FOLLOW_UPS + 1} questions are out to the prescriber already. Call or page the prescriber.`,
        decision: decisionState(row),
      };
    const record: DecisionRecord = {
      ...asked,
      followUps: [...asked.followUps, { at: new Date().toISOString(), question }],
    };
    const updated = decisions.addFollowUp(row.id, JSON.stringify(record), Date.now()) ?? row;
    options.onWorklistChange([row.orderRef]);
    void sender.pump();
    return {
      accepted: true,
      message: 'Follow-up question recorded; sending to the prescriber.',
      decision: decisionState(updated),
    };
  }

  const handlers: PharmacyHandlers = {
    async listWorklist(filter) {
      const session = options.session();
      if (!session) {
        return {
          status: 'forbidden',
          message: 'Sign in to see the worklist.',
          items: [],
          awaitingClarification: [],
          wards: [],
          targets,
          at: new Date().toISOString(),
        };
      }
      return buildWorklist({
        access: session.access,
        targets,
        localDecisions: decisions.decided(session.fhirBase),
        lastAskedHere: (order) => {
          const row = decisions.latest(session.fhirBase, order);
          const record = row?.decision === 'clarify' ? parseDecisionRecord(row.payload) : null;
          return record ? lastAsked(record) : null;
        },
        filter,
      });
    },

    async getOrderReview({ order }) {
      const session = requireSession();
      const { review, serverDecision } = await buildReview({
        access: session.access,
        checks: options.checks.current(),
        targets,
        order,
        decidedHere: (other) => decisions.latest(session.fhirBase, other)?.decision ?? null,
      });
      const local = decisions.latest(session.fhirBase, order);
      const decision = local
        ? decisionState(local)
        : serverDecision
          ? {
              decision: serverDecision.decision,
              at: '',
              // Her reference, named by the page; a Task that names nobody was still decided elsewhere.
              by: serverDecision.by ?? 'another workstation',
              state: 'done' as const,
              error: null,
              reason: null,
            }
          : null;
      return { ...review, decision };
    },

    async decideOrder({ order, decision, reason, overrides }): Promise<OrderDecisionResult> {
      const session = requireSession();
      if (session.role !== 'pharmacist' || !session.fhirUser)
        throw refused('Not permitted: only a pharmacist verifies medication orders.');
      const existing = decisions.latest(session.fhirBase, order);
      // A different question while one is out is a follow-up to the same request (the same question
      // again, a double click, is the one recorded).
      const asked = existing?.decision === 'clarify' ? parseDecisionRecord(existing.payload) : null;
      const followUp = asked !== null && decision === 'clarify' && !questionsOf(asked).includes(reason ?? '');
      if (existing && existing.decision === decision && !followUp)
        return { accepted: true, message: 'Already recorded.', decision: decisionState(existing) };
      if (existing && existing.decision !== 'clarify')
        return {
          accepted: false,
          message: `This order was already decided (${existing.decision}).`,
          decision: decisionState(existing),
        };
      const { review, serverDecision } = await buildReview({
        access: session.access,
        checks: options.checks.current(),
        targets,
        order,
        decidedHere: (other) => decisions.latest(session.fhirBase, other)?.decision ?? null,
      });
      if (review.status !== 'ok' || !review.item)
        return { accepted: false, message: review.message ?? 'The order could not be read.', decision: null };
      if (serverDecision && serverDecision.decision !== 'clarify')
        return {
          accepted: false,
          message: `This order was already decided on another workstation (${serverDecision.decision}).`,
          decision: null,
        };
      const byFlag = new Map(overrides.map((o) => [o.flag, o.reason]));
      const why = reason && reason.length > 0 ? reason : null;
      const problem = problemWith(decision, why, review.flags, byFlag);
      if (problem) return { accepted: false, message: problem, decision: null };
      if (existing && asked && followUp && why) return askAgain(existing, asked, why);
      const flags: DecidedFlag[] = review.flags.map((f) => ({
        ...f,
        override: decision === 'verify' ? (byFlag.get(f.id) ?? null) : null,
      }));
      const record: DecisionRecord = {
        order,
        patient: review.patient?.reference ?? null,
        prescriber: review.order ? relativeReference(review.order['requester']) : null,
        pharmacist: session.fhirUser,
        at: new Date().toISOString(),
        decision,
        reason: why,
        medication: review.item.medication,
        flags,
        followUps: [],
      };
      const decided: OrderDecided = { order, decision, actor: session.fhirUser, at: record.at };
      const { row, alongside: closed } = decisions.record(
        {
          fhirBase: session.fhirBase,
          actor: session.owner,
          orderRef: order,
          decision,
          payload: JSON.stringify(record),
          at: Date.now(),
        },
        () => options.closeDecidedAlerts(session.fhirBase, decided),
      );
      options.onDecided(order, closed);
      options.onWorklistChange([order]);
      void sender.pump();
      return { accepted: true, message: 'Recorded; sending to the server.', decision: decisionState(row) };
    },

    getOrderChecksStatus: async () => options.checks.status(),
    reloadOrderChecks: async () => options.checks.reload(),
  };

  return { handlers, pump: () => sender.pump(), stop: () => sender.stop() };
}
