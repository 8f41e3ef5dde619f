// The explicit state the pipeline's modules share: what each running subscription knows, the fixed
// dependencies, and the follow-up steps one stage asks of another. Every module is a set of small
// functions over these objects; monitor.ts assembles them.
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { MonitorSession } from '../ports.ts';
import type { ClientStore, EventSource, SubscriptionRecord } from '../store/client-store.ts';
import type { HealthTracker } from './health.ts';
import type { ServerProfile } from './server-profile.ts';
import type { SubscriptionPlan } from './subscription-plan.ts';

/** One event right after its durable commit (headless monitor JSONL, the soak checker). */
export interface AcceptedEvent {
  subscriptionKey: string;
  subscriptionId: string;
  topic: string;
  eventNumber: number;
  focus: string | null;
  occurredAt: string | null;
  source: EventSource;
}

/** What the pipeline works with; fixed for the life of one monitor. */
export interface PipelineDeps {
  store: ClientStore;
  session: MonitorSession;
  /**
   * Who the subscriptions are kept for (and so who owns every alert they bring): the user's fhirUser, or
   * `client/<id>` for a ward identity.
   */
  owner: string | null;
  access: FhirAccess;
  logger: Logger;
  /** What the server declares and what was learned about it (set once discovery has run). */
  profile: ServerProfile | null;
  /** When this monitor started (the sign-in): the first look-back of reconciliation starts here. */
  startedAt: string;
  /** Health changed; the owner pushes a snapshot. */
  pushHealth(): void;
  onAccepted?(event: AcceptedEvent): void;
  /** Wait this long for a missing event to arrive out of order before recovering it. */
  gapGraceMs: number;
}

/** Steps that one stage starts in another; monitor.ts wires them, so stages import no cycle. */
export interface FollowUps {
  scheduleGapRecovery(sub: SubscriptionState): void;
  scheduleReconcile(sub: SubscriptionState): void;
  /** Enrich these alerts; `catchUp`: they arrived by replay or recovery, not live. */
  enqueueEnrichment(alertIds: readonly string[], catchUp?: boolean): void;
  /** Read these alerts' focus again: a later event named it (an update, a delete). */
  recheckAlerts(alertIds: readonly string[]): void;
  /** The server may no longer have this subscription: confirm, then re-create it and catch up. */
  subscriptionGone(sub: SubscriptionState, detail: string): void;
}

/** What the pipeline knows about one subscription while it runs. */
export interface SubscriptionState {
  record: SubscriptionRecord;
  plan: SubscriptionPlan | null;
  health: HealthTracker;
  /** Highest number the server says exists; events up to it are replay/catch-up, not live. */
  replayUntil: number;
  gapTimer: NodeJS.Timeout | null;
  /** The access token the current connection was opened with (kept in the main process only). */
  connectedToken: string | null;
  /** Search used by reconciliation, e.g. `Observation?category=laboratory`. */
  reconcileQuery: string | null;
  /** `_lastUpdated` of the newest resource accounted for (reconciliation, or live once caught up). */
  reconciledUntil: string;
  reconcileTimer: NodeJS.Timeout | null;
  /**
   * Whether everything up to now is accounted for: false from each (re)connection until the
   * reconciliation after it has run. Until then a live event must not move the mark past what was
   * missed while disconnected.
   */
  caughtUp: boolean;
  /** This subscription is being stopped on purpose (monitor stop, replacement): no recovery. */
  stopping: boolean;
  /** The channel has been live at least once (the server answered its bind or stream). */
  everLive: boolean;
}

export function newSubscriptionState(
  record: SubscriptionRecord,
  health: HealthTracker,
  reconcileQuery: string | null,
  reconcileFrom: string,
  plan: SubscriptionPlan | null = null,
): SubscriptionState {
  return {
    record,
    plan,
    health,
    replayUntil: record.cursor,
    gapTimer: null,
    connectedToken: null,
    reconcileQuery,
    reconciledUntil: reconcileFrom,
    reconcileTimer: null,
    caughtUp: reconcileQuery === null,
    stopping: false,
    everLive: false,
  };
}

/**
 * Where reconciliation starts for a topic: where it last got to on this server for this user, or,
 * the first time, the sign-in (never further back: older results are not this session's news).
 */
export function reconcileStart(deps: PipelineDeps, topic: string): string {
  const { fhirBase } = deps.session;
  const mark = deps.store.facts.reconcileMark(fhirBase, topic, deps.owner);
  if (mark !== null) return mark;
  // Stored at once: if this run ends before its first reconciliation, the next one still starts here
  // (its own sign-in would be too late for what happened in between).
  deps.store.facts.advanceReconcileMark(fhirBase, topic, deps.owner, deps.startedAt);
  return deps.startedAt;
}

/** Whether this subscription reconciles by query: a plain search subscription, or no usable numbers. */
export function reconciles(sub: SubscriptionState): boolean {
  return (
    sub.reconcileQuery !== null &&
    (sub.plan?.topicBased === false || sub.record.sequenceMode === 'no-sequence')
  );
}

/** `lastUpdated` has been accounted for: move the in-memory and the stored mark forward. */
export function advanceMark(deps: PipelineDeps, sub: SubscriptionState, lastUpdated: string): void {
  const next = Date.parse(lastUpdated);
  if (Number.isNaN(next) || next <= Date.parse(sub.reconciledUntil)) return;
  sub.reconciledUntil = lastUpdated;
  deps.store.facts.advanceReconcileMark(deps.session.fhirBase, sub.record.topic, deps.owner, lastUpdated);
}

/** A problem on one subscription: counted, shown in health, logged without PHI. */
export function reportError(deps: PipelineDeps, sub: SubscriptionState, message: string): void {
  sub.health.entry.channelErrors += 1;
  sub.health.entry.lastError = message;
  deps.logger.warn({ subscription: sub.record.remoteId }, message);
  deps.pushHealth();
}

/**
 * Cancel a subscription's pending gap recovery and reconciliation at stop. The handles stay set, so a
 * frame that was already in flight cannot schedule new work on a stopped monitor.
 */
export function cancelTimers(sub: SubscriptionState): void {
  if (sub.gapTimer) clearTimeout(sub.gapTimer);
  if (sub.reconcileTimer) clearTimeout(sub.reconcileTimer);
}
