// The monitor pipeline: channel frame -> durable commit -> claim-check fetch -> rules -> notify once.
//
// Order matters. Frames are committed (event + alert row + cursor, one SQLite transaction) inside the
// channel's onFrame callback, which the channel awaits before reading further; only then is anything
// fetched, classified, shown or notified. A crash at any point leaves either nothing (the server
// replays from the old cursor) or a committed row whose enrichment resumes at the next start.
//
// This file only assembles the stages, each a module of small functions over explicit state:
// ingest.ts (commit, sequencing, gaps, no-sequence mode), gap-recovery.ts, reconcile.ts,
// enrichment.ts (+ bed-lookup.ts), notify-once.ts, channel-lifecycle.ts; the notification wording is
// src-main/core/alerting/notification-text.ts.
import type { AlertTier, HostEvent, SubscriptionHealth } from '../../shared/api.ts';
import type { Channel } from '../channels/types.ts';
import { accessFor } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { MonitorSession, Notifier, TopicRequest } from '../ports.ts';
import { interpretationOnlyRules, type RulesHolder } from '../rules/rules-holder.ts';
import type { ClientStore } from '../store/client-store.ts';
import { ownerKey } from '../store/owners.ts';
import { openChannel } from './channel-lifecycle.ts';
import {
  createEnrichmentQueue,
  enqueueEnrichment,
  enrichAlert,
  queueIsIdle,
  type EnrichmentDeps,
  type QueueWork,
} from './enrichment.ts';
import { scheduleGapRecovery } from './gap-recovery.ts';
import { createHealthEntry, type HealthTracker } from './health.ts';
import {
  cancelSummary,
  createNotifyState,
  holdForSummary,
  notifyOnce,
  type NotifyDeps,
} from './notify-once.ts';
import { scheduleReconcile } from './reconcile.ts';
import {
  cancelTimers,
  newSubscriptionState,
  type AcceptedEvent,
  type FollowUps,
  type PipelineDeps,
  type SubscriptionState,
} from './state.ts';
import { ensureSubscription } from './subscription-setup.ts';
import { discoverTopics } from './topic-discovery.ts';

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

/** A subscription with its channel, while the monitor runs. */
interface Running {
  state: SubscriptionState;
  channel: Channel;
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
  const running = new Map<string, Running>();
  // Only this owner's unfinished alerts are resumed: another user's focus is never read with this
  // session's token (its answer would be a 403 written onto someone else's alert).
  const principal = options.owner ?? session.fhirUser;
  const ownAlert = (alert: { id: string }): boolean => {
    const owner = store.alerts.ownerOf(alert.id);
    return principal === null ? owner === null : owner === ownerKey(session.fhirBase, principal);
  };
  const unavailable: HealthTracker[] = [];
  const queue = createEnrichmentQueue();
  const notify = createNotifyState();
  const idleWaiters: Array<() => void> = [];

  const deps: PipelineDeps = {
    store,
    session,
    access: accessFor(session),
    logger,
    pushHealth: () => options.onHealthChange(),
    onAccepted: options.onAccepted,
    gapGraceMs: options.gapGraceMs ?? 1500,
  };

  function settleIdle(): void {
    if (!queueIsIdle(queue) || notify.summaryTimer !== null) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  const notifyDeps: NotifyDeps = {
    alerts: store.alerts,
    notifier: options.notifier,
    logger,
    isPrivate,
    // Events up to the server's count at the handshake are replay/catch-up; an alert of a subscription
    // that is not running (a previous run's) is catch-up too.
    isCatchUp: (alert) => {
      const sub = running.get(alert.subscriptionKey);
      return sub ? Number(alert.eventNumber) <= sub.state.replayUntil : true;
    },
    settled: settleIdle,
  };
  const enrichment: EnrichmentDeps = {
    store,
    access: deps.access,
    fhirBase: session.fhirBase,
    rules: options.rules ?? interpretationOnlyRules(),
    interrupts,
    emit: options.emit,
  };
  const work: QueueWork = {
    run: async (id) => {
      const enriched = await enrichAlert(enrichment, id);
      if (enriched?.interrupting) await notifyOnce(notifyDeps, notify, enriched.alert);
    },
    settled: settleIdle,
    logger,
  };
  const followUps: FollowUps = {
    scheduleGapRecovery: (sub) => scheduleGapRecovery(deps, followUps, sub),
    scheduleReconcile: (sub) => scheduleReconcile(deps, followUps, sub),
    enqueueEnrichment: (ids) => enqueueEnrichment(queue, ids, work),
  };

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
    const waiting = store.alerts
      .awaitingNotification()
      .filter((a) => ownAlert(a) && a.tier !== 'unclassified' && interrupts(a.tier));
    holdForSummary(notifyDeps, notify, waiting);
  }

  /** Subscribe to one topic and open its channel; a topic the server does not offer is reported. */
  async function subscribe(topic: TopicRequest, offered: ReadonlySet<string>): Promise<void> {
    // A server that advertises topics but not this one would refuse it; say so instead of failing
    // the whole sign-in. A server that advertises none is simply asked.
    if (offered.size > 0 && !offered.has(topic.topic)) {
      const health = createHealthEntry(`unavailable|${topic.topic}`, topic.topic);
      health.entry.connection = 'stopped';
      health.entry.lastError = `the server does not offer the topic ${topic.topic}`;
      unavailable.push(health);
      return;
    }
    const record = await ensureSubscription(deps.access, store, options.owner ?? session.fhirUser, topic);
    const state = newSubscriptionState(
      record,
      createHealthEntry(record.key, record.topic),
      topic.reconcileQuery ?? null,
    );
    const channel = openChannel(deps, followUps, state, {
      ...(options.channelBackoff ? { backoff: options.channelBackoff } : {}),
      allowedStreamOrigins: options.allowedStreamOrigins ?? [],
    });
    running.set(record.key, { state, channel });
    channel.start();
  }

  async function stop(): Promise<void> {
    queue.stopped = true;
    cancelSummary(notify);
    await Promise.all(
      [...running.values()].map(async ({ state, channel }) => {
        cancelTimers(state);
        await channel.stop();
      }),
    );
    settleIdle();
  }

  return {
    async start() {
      resumeUnfinished();
      const offered = await discoverTopics(deps.access);
      for (const topic of options.topics) await subscribe(topic, offered);
      deps.pushHealth();
    },
    stop,
    health: () => {
      const trackers = [...[...running.values()].map((r) => r.state.health), ...unavailable];
      return trackers.map((tracker) => ({ ...tracker.entry }));
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
  };
}
