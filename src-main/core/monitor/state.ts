// The explicit state the pipeline's modules share: what each running subscription knows, the fixed
// dependencies, and the follow-up steps one stage asks of another. Every module is a set of small
// functions over these objects; monitor.ts assembles them.
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { MonitorSession } from '../ports.ts';
import type { ClientStore, EventSource, SubscriptionRecord } from '../store/client-store.ts';
import type { HealthTracker } from './health.ts';

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
  access: FhirAccess;
  logger: Logger;
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
  enqueueEnrichment(alertIds: readonly string[]): void;
}

/** What the pipeline knows about one subscription while it runs. */
export interface SubscriptionState {
  record: SubscriptionRecord;
  health: HealthTracker;
  /** Highest number the server says exists; events up to it are replay/catch-up, not live. */
  replayUntil: number;
  gapTimer: NodeJS.Timeout | null;
  /** The access token the current connection was opened with (kept in the main process only). */
  connectedToken: string | null;
  /** Search used by polling reconciliation, e.g. `Observation?category=laboratory`. */
  reconcileQuery: string | null;
  /** `_lastUpdated` of the newest resource reconciliation has seen. */
  reconciledUntil: string;
  reconcileTimer: NodeJS.Timeout | null;
}

/** How far back the first reconciliation query looks. */
const FIRST_RECONCILE_LOOKBACK_MS = 60 * 60_000;

export function newSubscriptionState(
  record: SubscriptionRecord,
  health: HealthTracker,
  reconcileQuery: string | null,
  now = Date.now(),
): SubscriptionState {
  return {
    record,
    health,
    replayUntil: record.cursor,
    gapTimer: null,
    connectedToken: null,
    reconcileQuery,
    reconciledUntil: new Date(now - FIRST_RECONCILE_LOOKBACK_MS).toISOString(),
    reconcileTimer: null,
  };
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
