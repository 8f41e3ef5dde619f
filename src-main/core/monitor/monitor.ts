// The monitor pipeline: channel frame -> durable commit -> claim-check fetch -> rules -> notify once.
//
// Order matters. Frames are committed (event + alert row + cursor, one SQLite transaction) inside the
// channel's onFrame callback, which the channel awaits before reading further; only then is anything
// fetched, classified, shown or notified. A crash at any point leaves either nothing (the server
// replays from the old cursor) or a committed row whose enrichment resumes at the next start.
//
// This file only assembles the stages, each a module of small functions over explicit state:
// server-profile.ts (+ topic-discovery.ts: what the server offers, declared or learned),
// subscription-plan.ts (topic or search criteria), running-subscriptions.ts (+ subscription-setup.ts,
// channel-lifecycle.ts: subscriptions and their channels, re-created when the server loses one),
// ingest.ts (commit, sequencing, gaps, no-sequence mode), gap-recovery.ts, reconcile.ts,
// focus-changes.ts (updates and withdrawals of a result that has an alert), enrichment.ts
// (+ enrichment-batch.ts: the waiting alerts read in one search, stored in one transaction)
// (+ bed-lookup.ts), notify-once.ts; the notification wording is
// src-main/core/alerting/notification-text.ts.
import type { AlertTier, HostEvent, SubscriptionHealth } from '../../shared/api.ts';
import { accessFor } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { MonitorSession, Notifier, TopicRequest } from '../ports.ts';
import { interpretationOnlyRules, type RulesHolder } from '../rules/rules-holder.ts';
import type { ClientStore } from '../store/client-store.ts';
import { ownerKey } from '../store/owners.ts';
import {
  cancelOwedRetry,
  createEnrichmentQueue,
  enqueueEnrichment,
  queueIsIdle,
  scheduleOwedRetry,
  type EnrichmentDeps,
  type QueueWork,
} from './enrichment.ts';
import { createBatchState, enrichBatch } from './enrichment-batch.ts';
import { createRecheckQueue, enqueueRechecks, type RecheckDeps } from './focus-changes.ts';
import {
  createLoopQueue,
  enqueueLoopEvents,
  reconcileRecords,
  stopLoopQueue,
  type LoopDeps,
} from './loop-events.ts';
import { withdrawQuietly } from '../alerting/raise.ts';
import type { LoopChange } from '../alerting/shared-loop.ts';
import { CLOSED_LOOP_TOPICS } from '../store/alert-sharing.ts';
import { RESULT_NEWS_TOPICS } from '../store/result-news.ts';
import { scheduleGapRecovery } from './gap-recovery.ts';
import { createHealthEntry, type HealthTracker } from './health.ts';
import {
  cancelSummary,
  createNotifyState,
  holdForSummary,
  notifyMany,
  type NotifyDeps,
} from './notify-once.ts';
import {
  createReadBackRuns,
  oweReadBackIfFirst,
  readBackWork,
  runOwedReadBacks,
  showReadBacksDone,
  stopReadBacks,
} from './read-back-runs.ts';
import { scheduleReconcile } from './reconcile.ts';
import { createRunningSet, replaceIfGone, startPlan, stopAll } from './running-subscriptions.ts';
import { loadServerProfile, type ServerProfile } from './server-profile.ts';
import { planSubscription } from './subscription-plan.ts';
import { SubscriptionRefusedError } from './subscription-setup.ts';
import type { AcceptedEvent, FollowUps, PipelineDeps } from './state.ts';
import { CRITICAL_LAB_TOPIC } from './topics.ts';

/**
 * Topics whose events may be critical results: the embedded server's critical-lab topic and any topic
 * whose canonical URL says "critical". An unreadable focus on such a topic is possibly critical.
 */
export function isCriticalTopic(topic: string): boolean {
  return topic === CRITICAL_LAB_TOPIC || /critical/i.test(topic);
}

export interface MonitorOptions {
  store: ClientStore;
  session: MonitorSession;
  notifier: Notifier;
  topics: TopicRequest[];
  emit(event: HostEvent): void;
  /** Health changed; the owner builds and pushes a snapshot (throttling is its business). */
  onHealthChange(): void;
  logger: Logger;
  /** Tiers that raise an OS notification. */
  interruptTiers?: readonly AlertTier[] | (() => readonly AlertTier[]);
  /** Hide values and names in OS notifications. */
  privacyMode?: boolean | (() => boolean);
  /** The active rules. Default: interpretation codes only, no threshold table. */
  rules?: RulesHolder;
  /** Wait this long for a missing event to arrive out of order before recovering it. */
  gapGraceMs?: number;
  /** Reconnect backoff of the channels (tests shorten it). Default 500 ms base, 30 s cap. */
  channelBackoff?: { baseMs: number; capMs: number };
  /**
   * Origins besides the FHIR base's that a stream URL (SSE endpoint, websocket-url) may name: the
   * deployment configuration's explicit allow-list. Default none.
   */
  allowedStreamOrigins?: readonly string[];
  /**
   * Who the subscriptions are kept for (`subscriptions.owner`, and so the owner of every alert they
   * bring): the user's fhirUser, or `client/<id>` for a ward identity. Default the session's fhirUser.
   */
  owner?: string | null;
  /**
   * Called for each event right after its durable commit, in commit order (headless monitor JSONL, the
   * soak checker). Never called for duplicates.
   */
  onAccepted?(event: AcceptedEvent): void;
  /** Which topics carry critical results. Default: isCriticalTopic. */
  isCriticalTopic?(topic: string): boolean;
  /**
   * Another workstation acknowledged, resolved or escalated a result; the store already says so
   * (loop-events.ts). The service pushes, withdraws and tells (alerting/shared-loop.ts).
   */
  onClosedLoop?(change: LoopChange): void;
  /**
   * A final laboratory report was committed (store/result-news.ts): results on screen may have changed.
   * Called per event; the service coalesces.
   */
  onResultNews?(): void;
  /**
   * The first time this owner watches a server's critical results here, the open criticals written
   * this many hours before are read back (read-back.ts). Default 0: none (the headless monitor reports
   * the stream only).
   */
  readBackHours?: number;
}

export interface Monitor {
  start(): Promise<void>;
  /**
   * Close the streams (app shutdown, sign-out). The subscriptions stay active on the server, so what
   * arrives meanwhile is kept there and caught up, from the stored cursor, at the next start.
   */
  stop(): Promise<void>;
  health(): SubscriptionHealth[];
  /** Resolves when every committed alert has been enriched and notified (tests, shutdown). */
  idle(): Promise<void>;
}

export function createMonitor(options: MonitorOptions): Monitor {
  const { store, session, logger } = options;
  // Preferences may change while running: read them at each decision.
  const interrupts = (tier: AlertTier): boolean => {
    const tiers =
      typeof options.interruptTiers === 'function' ? options.interruptTiers() : options.interruptTiers;
    return (tiers ?? ['critical']).includes(tier);
  };
  const isPrivate = (): boolean =>
    typeof options.privacyMode === 'function' ? options.privacyMode() : (options.privacyMode ?? false);
  const running = createRunningSet({
    ...(options.channelBackoff ? { backoff: options.channelBackoff } : {}),
    allowedStreamOrigins: options.allowedStreamOrigins ?? [],
  });
  // Only this owner's unfinished alerts are resumed: another user's focus is never read with this
  // session's token (its answer would be a 403 written onto someone else's alert).
  const principal = options.owner ?? session.fhirUser;
  const ownKey = principal === null ? null : ownerKey(session.fhirBase, principal);
  const ownAlert = (alert: { id: string }): boolean => store.alerts.ownerOf(alert.id) === ownKey;
  const unavailable: HealthTracker[] = [];
  const queue = createEnrichmentQueue();
  const rechecks = createRecheckQueue();
  const loopQueue = createLoopQueue();
  const notify = createNotifyState();
  const idleWaiters: Array<() => void> = [];
  /** Alerts that arrived as catch-up (replay, recovery, reconciliation) in this run. */
  const catchUpIds = new Set<string>();
  const readBacks = createReadBackRuns();

  const deps: PipelineDeps = {
    store,
    session,
    owner: principal,
    access: accessFor(session),
    logger,
    profile: null,
    // The sign-in: reconciliation never looks further back than this the first time.
    startedAt: new Date().toISOString(),
    pushHealth: () => options.onHealthChange(),
    // A closed-loop event is applied once it is durable (like an alert's enrichment).
    onAccepted: (event) => {
      if (CLOSED_LOOP_TOPICS.has(event.topic) && event.focus !== null)
        enqueueLoopEvents(
          loopQueue,
          loopDeps,
          [{ ...event, focus: event.focus, fhirBase: session.fhirBase, attempts: 0 }],
          settleIdle,
        );
      if (RESULT_NEWS_TOPICS.has(event.topic)) options.onResultNews?.();
      options.onAccepted?.(event);
    },
    gapGraceMs: options.gapGraceMs ?? 1500,
  };
  const loopDeps: LoopDeps = {
    store,
    access: deps.access,
    fhirBase: session.fhirBase,
    logger,
    onChange: (change) => options.onClosedLoop?.(change),
  };

  function settleIdle(): void {
    if (
      !queueIsIdle(queue) ||
      notify.summaryTimer !== null ||
      rechecks.pending > 0 ||
      loopQueue.pending > 0 ||
      readBacks.inFlight !== null
    )
      return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  const notifyDeps: NotifyDeps = {
    alerts: store.alerts,
    notifier: options.notifier,
    logger,
    isPrivate,
    // Replayed, recovered and reconciled alerts are catch-up; so are events up to the server's count
    // at the handshake, and an alert of a subscription that is not running (a previous run's).
    isCatchUp: (alert) => {
      if (catchUpIds.delete(alert.id)) return true;
      const sub = running.byKey.get(alert.subscriptionKey);
      return sub ? Number(alert.eventNumber) <= sub.state.replayUntil : true;
    },
    settled: settleIdle,
    inTransaction: (write) => store.db.transaction(write)(),
  };
  const enrichment: EnrichmentDeps = {
    store,
    access: deps.access,
    fhirBase: session.fhirBase,
    rules: options.rules ?? interpretationOnlyRules(),
    interrupts,
    isCriticalTopic: options.isCriticalTopic ?? isCriticalTopic,
    emit: options.emit,
  };
  const batches = createBatchState();
  const work: QueueWork = {
    run: async (ids) => {
      const enriched = await enrichBatch(enrichment, batches, ids);
      const interrupting = enriched.filter((e) => e.interrupting).map((e) => e.alert);
      if (interrupting.length > 0) await notifyMany(notifyDeps, notify, interrupting);
      armOwedRetry();
    },
    settled: settleIdle,
    logger,
  };
  const recheckDeps: RecheckDeps = {
    store,
    access: deps.access,
    fhirBase: session.fhirBase,
    logger,
    withdrawn: (id) => {
      const alert = store.alerts.get(id);
      if (alert) options.emit({ type: 'alert', alert });
      withdrawQuietly(options.notifier, logger, id);
    },
    enrich: (ids) => followUps.enqueueEnrichment(ids),
  };
  const followUps: FollowUps = {
    scheduleGapRecovery: (sub) => scheduleGapRecovery(deps, followUps, sub),
    scheduleReconcile: (sub) => scheduleReconcile(deps, followUps, sub),
    enqueueEnrichment: (ids, catchUp = false) => {
      if (catchUp) for (const id of ids) catchUpIds.add(id);
      enqueueEnrichment(queue, ids, work);
    },
    recheckAlerts: (ids) => enqueueRechecks(rechecks, recheckDeps, ids, settleIdle),
    subscriptionGone: (sub, detail) => {
      const profile = deps.profile;
      if (!profile) return;
      replaceIfGone(deps, followUps, running, profile, sub, detail).catch((error: unknown) =>
        logger.error({ err: String(error) }, 'replacing a lost subscription failed'),
      );
    },
  };
  /** Owed focuses are read again when their retry time comes (re-armed after every enrichment). */
  function armOwedRetry(): void {
    scheduleOwedRetry(queue, store.alerts.nextFetchRetryAt(ownKey), () =>
      followUps.enqueueEnrichment(store.alerts.dueForFetch(Date.now(), ownKey)),
    );
  }

  /**
   * Resume work a previous run committed but did not finish (crash between commit and notify). A
   * delivery cut off mid-way ('notifying') may or may not have reached the screen: for a critical
   * result a repeat is safer than a loss, so it is retried (and audited as interrupted).
   */
  function resumeUnfinished(): void {
    store.alerts.reclaimInterrupted(Date.now());
    followUps.enqueueEnrichment(
      store.alerts
        .awaitingFetch()
        .filter(ownAlert)
        .map((a) => a.id),
    );
    followUps.recheckAlerts(store.alerts.awaitingRecheck().filter((id) => ownAlert({ id })));
    enqueueLoopEvents(
      loopQueue,
      loopDeps,
      store.alerts.sharing.pendingLoopEvents(session.fhirBase, principal),
      settleIdle,
    );
    const waiting = store.alerts
      .awaitingNotification()
      .filter((a) => ownAlert(a) && a.tier !== 'unclassified' && interrupts(a.tier));
    holdForSummary(notifyDeps, notify, waiting);
  }

  /** Subscribe to one topic and open its channel; a topic the server offers in no form is reported. */
  /** A topic this monitor cannot watch: shown in health as stopped, in words, never silently skipped. */
  function reportUnavailable(topic: TopicRequest, why: string): void {
    const health = createHealthEntry(`unavailable|${topic.topic}`, topic.topic);
    health.entry.connection = 'stopped';
    health.entry.lastError = why;
    unavailable.push(health);
  }

  /** The health entry of this monitor's running subscription for a topic, if any. */
  const healthOf = (topic: string): HealthTracker | null =>
    [...running.byKey.values()].find((r) => r.state.record.topic === topic)?.state.health ?? null;

  const readBackDeps = readBackWork({
    store,
    access: deps.access,
    fhirBase: session.fhirBase,
    owner: principal,
    topics: options.topics,
    rules: () => enrichment.rules.current(),
    runs: readBacks,
    healthOf,
    logger,
    pushHealth: deps.pushHealth,
    settled: settleIdle,
    committed: (outcome) => {
      followUps.enqueueEnrichment(outcome.alertIds, true);
      if (outcome.recheck.length > 0) followUps.recheckAlerts(outcome.recheck);
      // An acknowledgment written between the search and the commit found no alert to close.
      reconcileRecords(loopQueue, loopDeps, outcome.foci, settleIdle);
      // Steps other workstations asked: told here if asked of this screen's user; a declined one may
      // make the next step due at once.
      if (outcome.steps.length > 0)
        loopDeps.onChange({
          kind: 'step',
          alertIds: outcome.alertIds,
          status: outcome.steps.includes('declined') ? 'declined' : 'requested',
        });
    },
  });

  async function subscribe(topic: TopicRequest, profile: ServerProfile): Promise<void> {
    oweReadBackIfFirst(deps, topic.topic, options.readBackHours ?? 0);
    const planned = planSubscription(topic, profile);
    if ('unavailable' in planned) {
      reportUnavailable(topic, planned.unavailable);
      return;
    }
    await startPlan(deps, followUps, running, profile, planned.plan).catch((error: unknown) => {
      if (running.stopped) return; // stopped meanwhile (sign-out, shutdown): not a failure
      // One topic the server refuses (e.g. the grant may not read what it notifies about) must not take
      // the others down with it: it is reported, and the health banner turns red. Anything else (the
      // network, a 5xx) fails the start, which is retried: a passing fault is never a lasting "no".
      if (!(error instanceof SubscriptionRefusedError)) throw error;
      logger.warn(
        { topic: topic.topic, err: error.message },
        'subscription refused; topic reported unavailable',
      );
      reportUnavailable(topic, error.message);
    });
  }

  async function stop(): Promise<void> {
    queue.stopped = true;
    cancelOwedRetry(queue);
    rechecks.stopped = true;
    const loopStopped = stopLoopQueue(loopQueue);
    cancelSummary(notify);
    const readBacksStopped = stopReadBacks(readBacks);
    await stopAll(running);
    await loopStopped;
    await readBacksStopped;
    settleIdle();
  }

  return {
    async start() {
      resumeUnfinished();
      const profile = await loadServerProfile(deps.access, store);
      deps.profile = profile;
      for (const topic of options.topics) if (!running.stopped) await subscribe(topic, profile);
      showReadBacksDone(store, session.fhirBase, principal, healthOf);
      deps.pushHealth();
      // Subscribed first: whatever is written from now on arrives by the subscriptions.
      if (!running.stopped) runOwedReadBacks(readBacks, readBackDeps);
      // What the subscriptions cannot bring: records written before they existed (loop-events.ts).
      if (!running.stopped && options.topics.some((t) => CLOSED_LOOP_TOPICS.has(t.topic)))
        reconcileRecords(
          loopQueue,
          loopDeps,
          store.alerts
            .openCriticals()
            .filter(ownAlert)
            .map((a) => a.focus),
          settleIdle,
        );
    },
    stop,
    health: () => {
      const trackers = [
        ...[...running.byKey.values()].map((r) => r.state.health),
        ...running.recreating,
        ...unavailable,
      ];
      return [...new Set(trackers)].map((tracker) => ({ ...tracker.entry }));
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
  };
}
