// The monitor pipeline: channel frame -> durable commit -> claim-check fetch -> rules -> notify once.
//
// Order matters. Frames are committed (event + alert row + cursor, one SQLite transaction) inside the
// channel's onFrame callback, which the channel awaits before reading further; only then is anything
// fetched, classified, shown or notified. A crash at any point leaves either nothing (the server
// replays from the old cursor) or a committed row whose enrichment resumes at the next start.
import type {
  AlertSummary,
  AlertTier,
  FhirResource,
  HostEvent,
  SubscriptionHealth,
} from '../../shared/api.ts';
import type { Channel, ChannelCallbacks, ChannelFrame, ChannelState } from '../channels/types.ts';
import { createSseChannel } from '../channels/sse-channel.ts';
import { createWebSocketChannel } from '../channels/websocket-channel.ts';
import { parseNotificationBundle, resolveReference } from '../notifications/parse-bundle.ts';
import type { NotificationEvent } from '../notifications/types.ts';
import { accessFor, fhirFetch, readResource, refreshed, type FhirAccess } from '../fhir/fhir-client.ts';
import { classifyResource } from '../rules/classify.ts';
import { interpretationOnlyRules, type RulesHolder } from '../rules/rules-holder.ts';
import { openAlertStore } from '../alerting/alert-store.ts';
import type {
  ClientStore,
  CommitResult,
  EventSource,
  IncomingEvent,
  SubscriptionRecord,
} from '../store/client-store.ts';
import { createHealthEntry, type HealthTracker } from './health.ts';
import { ensureSubscription, type TopicRequest } from './subscription-setup.ts';
import { discoverTopics } from './topic-discovery.ts';
import type { Logger } from '../log.ts';

export interface MonitorSession {
  fhirBase: string;
  fhirUser: string | null;
  accessToken(): Promise<string>;
  refreshNow(reason: string): Promise<void>;
  tokenExpiresAt(): number | null;
}

export interface AlertNotification {
  alertId: string | null;
  tier: AlertTier;
  title: string;
  body: string;
  /** 'alert' (first delivery), 'escalation' (re-notification of an unacknowledged critical), 'summary'. */
  kind?: 'alert' | 'escalation' | 'summary';
}

/** Raises an interruption: Electron Notification, D-Bus, or the browser page. */
export interface Notifier {
  notify(notification: AlertNotification): Promise<void>;
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
  /** The active rules (issue 5). Default: interpretation codes only, no threshold table. */
  rules?: RulesHolder;
  /** Wait this long for a missing event to arrive out of order before recovering it. */
  gapGraceMs?: number;
  /** Reconnect backoff of the channels (tests shorten it). Default 500 ms base, 30 s cap. */
  channelBackoff?: { baseMs: number; capMs: number };
  /**
   * Called for each event right after its durable commit, in commit order (headless monitor JSONL, the
   * soak checker). Never called for duplicates.
   */
  onAccepted?(event: AcceptedEvent): void;
}

export interface AcceptedEvent {
  subscriptionKey: string;
  subscriptionId: string;
  topic: string;
  eventNumber: number;
  focus: string | null;
  occurredAt: string | null;
  source: EventSource;
}

export interface Monitor {
  start(): Promise<void>;
  /** Close the streams (app shutdown): the subscriptions stay active for the next start. */
  stop(): Promise<void>;
  /**
   * Sign-out: close the streams, then turn the server-side subscriptions `off` so nothing keeps
   * collecting events for this user. They stay in the local store; the next sign-in re-activates
   * them and keeps their numbering. Best effort: a server that cannot be reached is reported, not retried.
   */
  retire(): Promise<string[]>;
  health(): SubscriptionHealth[];
  /** Resolves when every committed alert has been enriched and notified (tests, shutdown). */
  idle(): Promise<void>;
}

const ENRICH_CONCURRENCY = 4;
const SUMMARY_THRESHOLD = 3;

function toIncoming(event: NotificationEvent, fhirBase: string): IncomingEvent | null {
  if (!/^\d{1,15}$/.test(event.eventNumber)) return null;
  const focus = event.focus ? resolveReference(event.focus, fhirBase) : null;
  return {
    eventNumber: Number(event.eventNumber),
    // A focus on another origin is kept out of the store entirely: it can never be fetched with this
    // server's token, so it is reported as a channel error instead.
    focus: focus && focus.sameOrigin ? focus.relative : null,
    occurredAt: event.timestamp,
  };
}

export function createMonitor(options: MonitorOptions): Monitor {
  const { store, session, notifier, logger, emit } = options;
  // Preferences may change while running: read them at each decision.
  const interrupts = (tier: AlertTier): boolean => {
    const tiers =
      typeof options.interruptTiers === 'function' ? options.interruptTiers() : options.interruptTiers;
    return (tiers ?? ['critical']).includes(tier);
  };
  const isPrivate = (): boolean =>
    typeof options.privacyMode === 'function' ? options.privacyMode() : (options.privacyMode ?? false);
  const rules = options.rules ?? interpretationOnlyRules();
  const alerting = openAlertStore(store);
  const gapGraceMs = options.gapGraceMs ?? 1500;
  const access: FhirAccess = accessFor(session);

  interface Running {
    record: SubscriptionRecord;
    channel: Channel;
    health: HealthTracker;
    /** Highest number the server says exists; events up to it are replay/catch-up, not live. */
    replayUntil: number;
    gapTimer: NodeJS.Timeout | null;
    /** The access token the current connection was opened with (kept in the main process only). */
    connectedToken: string | null;
    /** Search used by polling reconciliation, e.g. `Observation?category=laboratory`. */
    reconcileQuery: string | null;
    reconciledUntil: string;
    reconcileTimer: NodeJS.Timeout | null;
  }
  const running = new Map<string, Running>();
  const unavailable: HealthTracker[] = [];
  const enrichQueue: string[] = [];
  const catchUpCriticals: AlertSummary[] = [];
  let active = 0;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];
  let summaryTimer: NodeJS.Timeout | null = null;

  const pushHealth = () => options.onHealthChange();

  function settleIdle() {
    if (active === 0 && enrichQueue.length === 0 && summaryTimer === null) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  function enqueueEnrichment(ids: readonly string[]) {
    enrichQueue.push(...ids);
    pump();
  }

  function pump() {
    while (!stopped && active < ENRICH_CONCURRENCY && enrichQueue.length > 0) {
      const id = enrichQueue.shift();
      if (!id) break;
      active += 1;
      enrich(id)
        .catch((error: unknown) =>
          logger.error({ alertId: id, err: String(error) }, 'alert enrichment failed'),
        )
        .finally(() => {
          active -= 1;
          pump();
          settleIdle();
        });
    }
    settleIdle();
  }

  async function enrich(id: string): Promise<void> {
    const alert = store.getAlert(id);
    if (!alert || alert.fetch !== 'pending') return;
    const view = await readResource(access, alert.focus);
    if (view.status !== 'ok' || !view.resource) {
      // 'error' stays visible in the feed with the reason; 'gone'/'forbidden' are shown, never retried.
      const saved = store.saveClassification(
        id,
        {
          tier: 'unclassified',
          headline:
            view.status === 'forbidden'
              ? 'Not permitted'
              : view.status === 'gone'
                ? 'No longer available'
                : 'Could not load',
          reason: view.message ?? '',
          patientRef: null,
          patientName: null,
          location: null,
          fetchStatus: view.status === 'pending' ? 'error' : view.status,
        },
        false,
      );
      if (saved) emit({ type: 'alert', alert: saved });
      return;
    }
    const resource = view.resource;
    const { summary, ruleId, encounterRef, ...classification } = classifyResource(
      view.resource,
      rules.current(),
    );
    let patientName: string | null = null;
    if (classification.patientRef) {
      const patient = resolveReference(classification.patientRef, session.fhirBase);
      if (patient?.sameOrigin) {
        const patientView = await readResource(access, patient.relative);
        if (patientView.status === 'ok' && patientView.resource)
          patientName = humanName(patientView.resource['name']);
      }
    }
    const interrupting = classification.tier !== 'unclassified' && interrupts(classification.tier);
    const bed =
      classification.tier === 'critical' || classification.tier === 'high' ? await bedOf(encounterRef) : null;
    // One transaction (one fsync) for everything the enrichment learned: under bursts, separate
    // FULL-sync writes per alert starve the frame loop that commits the next events.
    const saved = store.db.transaction(() => {
      store.cacheResource(
        session.fhirBase,
        alert.focus,
        resource.meta?.versionId ?? null,
        JSON.stringify(resource),
      );
      alerting.saveRuleDetail(id, summary, ruleId, bed);
      return store.saveClassification(
        id,
        { ...classification, location: bed ?? classification.location, patientName, fetchStatus: 'ok' },
        interrupting,
      );
    })();
    if (!saved) return;
    emit({ type: 'alert', alert: saved });
    if (interrupting) await notifyOnce(saved);
  }

  /** "Ward A bed 1": the current location of the result's encounter; null when unknown. Never throws. */
  async function bedOf(encounterRef: string | null): Promise<string | null> {
    if (!encounterRef) return null;
    const encounter = resolveReference(encounterRef, session.fhirBase);
    if (!encounter?.sameOrigin) return null;
    const view = await readResource(access, encounter.relative);
    const locations = view.resource?.['location'];
    if (!Array.isArray(locations)) return null;
    const current =
      locations.find((l) => (l as { status?: unknown })?.status === 'active') ?? locations.at(-1);
    const ref = (current as { location?: { reference?: unknown; display?: unknown } })?.location;
    if (typeof ref?.display === 'string') return ref.display.slice(0, 80);
    if (typeof ref?.reference !== 'string') return null;
    const location = resolveReference(ref.reference, session.fhirBase);
    if (!location?.sameOrigin) return null;
    const place = await readResource(access, location.relative);
    const name = place.resource?.['name'];
    return typeof name === 'string' ? name.slice(0, 80) : null;
  }

  async function notifyOnce(alert: AlertSummary): Promise<void> {
    const sub = running.get(alert.subscriptionKey);
    const isCatchUp = sub ? Number(alert.eventNumber) <= sub.replayUntil : true;
    if (isCatchUp) {
      catchUpCriticals.push(alert);
      summaryTimer ??= setTimeout(flushCatchUp, 400);
      return;
    }
    if (!store.claimNotification(alert.id)) return;
    await deliver(alert);
  }

  async function deliver(alert: AlertSummary): Promise<void> {
    const title = isPrivate()
      ? 'Critical lab result'
      : `${alert.tier === 'critical' ? 'CRITICAL' : 'High priority'}: ${alert.headline}`;
    // "K 6.8 mmol/L > 6.2 — Ward A bed 1 — <name>": value, violated limit, bed when known.
    const body = isPrivate()
      ? 'Open Alert Monitor to review.'
      : [alert.summary ?? alert.reason, alert.location, alert.patient?.name].filter(Boolean).join(' — ');
    try {
      await notifier.notify({
        alertId: alert.id,
        tier: alert.tier === 'high' ? 'high' : 'critical',
        title,
        body,
        kind: 'alert',
      });
      store.db.transaction(() => {
        store.markNotified(alert.id, 'notified');
        store.audit(alert.id, 'notified', null, null);
      })();
    } catch (error) {
      // The alert stays pinned in the feed; the failure is audited, not retried into a storm.
      store.audit(
        alert.id,
        'notify-failed',
        null,
        error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      );
      logger.error({ alertId: alert.id }, 'notifier failed');
    }
  }

  /** Many criticals that arrived while offline become one summary instead of a storm. */
  async function flushCatchUp(): Promise<void> {
    summaryTimer = null;
    const batch = catchUpCriticals.splice(0).filter((a) => store.claimNotification(a.id));
    if (batch.length >= SUMMARY_THRESHOLD) {
      try {
        await notifier.notify({
          alertId: null,
          tier: 'critical',
          title: `${batch.length} critical results arrived while offline`,
          body: 'Open Alert Monitor to review them.',
          kind: 'summary',
        });
      } catch {
        logger.error('notifier failed on offline summary');
      }
      for (const alert of batch) store.markNotified(alert.id, 'summarised');
    } else {
      for (const alert of batch) await deliver(alert);
    }
    settleIdle();
  }

  /** Server numbers are unusable (constant "0", counted again from 1, or no focus to key on). */
  function enterNoSequenceMode(sub: Running, why: string) {
    if (sub.record.sequenceMode === 'no-sequence') return;
    sub.record = { ...sub.record, sequenceMode: 'no-sequence' };
    store.setSequenceMode(sub.record.key, 'no-sequence');
    sub.health.entry.lastError = `no usable event numbers (${why}): de-duplicating by resource, reconciling by query`;
    logger.warn({ subscription: sub.record.remoteId, why }, 'switching to no-sequence mode');
    // Whatever the numbers hid until now (events lost while disconnected) is found by one query.
    scheduleReconcile(sub);
  }

  function looksUnsequenced(events: readonly NotificationEvent[]): string | null {
    if (events.some((e) => e.eventNumber === '0')) return 'event number 0';
    if (events.some((e) => e.focus === null)) return 'notifications without a focus (empty payload)';
    return null;
  }

  async function commit(
    sub: Running,
    events: readonly NotificationEvent[],
    source: EventSource,
  ): Promise<void> {
    // Replayed frames are checked too: a constant-"0" server's events all look like replays of event 0.
    const why = source === 'recovery' ? null : looksUnsequenced(events);
    if (why) enterNoSequenceMode(sub, why);
    const incoming: IncomingEvent[] = [];
    for (const event of events) {
      const parsed = toIncoming(event, session.fhirBase);
      if (!parsed) {
        reportError(sub, 'event with a non-numeric or out-of-range event number ignored');
        continue;
      }
      if (event.focus && parsed.focus === null)
        reportError(sub, 'focus on another server ignored (claim-check refuses foreign origins)');
      incoming.push(parsed);
    }
    if (sub.record.sequenceMode === 'no-sequence') {
      const withFocus = incoming.filter((e) => e.focus !== null);
      if (withFocus.length > 0)
        record(sub, store.commitUnsequenced(sub.record.key, sub.record.topic, withFocus, source), source);
      // An empty payload only says "something changed": find out what by query.
      if (withFocus.length < incoming.length || incoming.length === 0) scheduleReconcile(sub);
      return;
    }
    if (incoming.length === 0) return;
    record(sub, store.commitEvents(sub.record.key, sub.record.topic, incoming, source), source);
  }

  /** After a durable commit: tell observers, update health, recover gaps, start enrichment. */
  function record(sub: Running, result: CommitResult, source: EventSource) {
    for (const event of result.accepted) {
      options.onAccepted?.({
        subscriptionKey: sub.record.key,
        subscriptionId: sub.record.remoteId,
        topic: sub.record.topic,
        eventNumber: event.eventNumber,
        focus: event.focus,
        occurredAt: event.occurredAt,
        source,
      });
    }
    const h = sub.health.entry;
    h.duplicatesDropped += result.duplicates;
    h.lastEventNumber = String(result.cursor);
    const now = Date.now();
    for (const event of result.accepted) {
      if (event.occurredAt && source === 'live')
        sub.health.recordLatency(Math.max(0, now - Date.parse(event.occurredAt)));
    }
    if (result.gap) {
      h.gapsDetected += 1;
      scheduleGapRecovery(sub);
    }
    if (source !== 'live') h.gapsRecovered += store.closeFilledGaps(sub.record.key);
    enqueueEnrichment(
      result.accepted.filter((e) => e.focus !== null).map((e) => `${sub.record.key}:${e.eventNumber}`),
    );
  }

  function scheduleReconcile(sub: Running) {
    if (sub.reconcileTimer || !sub.reconcileQuery) return;
    sub.reconcileTimer = setTimeout(() => {
      sub.reconcileTimer = null;
      reconcile(sub).catch((error: unknown) =>
        reportError(sub, `reconciliation query failed: ${String(error)}`),
      );
    }, 250);
  }

  /**
   * Polling reconciliation: re-query the topic's resources changed since the last look (`_lastUpdated`)
   * and commit each as an unsequenced event. Used where notifications carry no usable numbers or ids.
   */
  async function reconcile(sub: Running): Promise<void> {
    const query = sub.reconcileQuery;
    if (!query) return;
    const since = sub.reconciledUntil;
    const separator = query.includes('?') ? '&' : '?';
    const path = `${query}${separator}_lastUpdated=gt${encodeURIComponent(since)}&_sort=_lastUpdated&_count=100`;
    const { status, body } = await fhirFetch(access, path);
    if (status !== 200) throw new Error(`search answered ${status}`);
    const found: Array<{ focus: string; occurredAt: string }> = [];
    for (const entry of (body as { entry?: Array<{ resource?: FhirResource }> } | null)?.entry ?? []) {
      const resource = entry.resource;
      const lastUpdated = resource?.meta?.lastUpdated;
      if (!resource?.id || !lastUpdated) continue;
      found.push({ focus: `${resource.resourceType}/${resource.id}`, occurredAt: lastUpdated });
      if (lastUpdated > sub.reconciledUntil) sub.reconciledUntil = lastUpdated;
    }
    if (found.length > 0)
      record(sub, store.commitUnsequenced(sub.record.key, sub.record.topic, found, 'recovery'), 'recovery');
    pushHealth();
  }

  function scheduleGapRecovery(sub: Running) {
    if (sub.gapTimer) return;
    sub.gapTimer = setTimeout(() => {
      sub.gapTimer = null;
      recoverGaps(sub).catch((error: unknown) => reportError(sub, `gap recovery failed: ${String(error)}`));
    }, gapGraceMs);
  }

  /** Fetch missing ranges with `$events` (the server's own log) and commit them. */
  async function recoverGaps(sub: Running): Promise<void> {
    const key = sub.record.key;
    store.closeFilledGaps(key);
    const ranges = store.openGaps(key);
    const known = Number(sub.health.entry.eventsSinceSubscriptionStart ?? '0');
    const cursor = store.getCursor(key);
    if (known > cursor) ranges.push({ first: cursor + 1, last: known });
    for (const range of ranges) {
      const { status, body } = await fhirFetch(
        access,
        `Subscription/${sub.record.remoteId}/$events?eventsSinceNumber=${range.first}&eventsUntilNumber=${range.last}`,
      );
      if (status !== 200) throw new Error(`$events answered ${status}`);
      const parsed = parseNotificationBundle(body);
      if (!parsed.ok) throw new Error(`$events bundle: ${parsed.error}`);
      await commit(sub, parsed.notification.events, 'recovery');
    }
    pushHealth();
  }

  function reportError(sub: Running, message: string) {
    sub.health.entry.channelErrors += 1;
    sub.health.entry.lastError = message;
    logger.warn({ subscription: sub.record.remoteId }, message);
    pushHealth();
  }

  async function handleFrame(sub: Running, frame: ChannelFrame): Promise<void> {
    const h = sub.health.entry;
    h.lastFrameAt = new Date(frame.receivedAt).toISOString();
    switch (frame.kind) {
      case 'notification': {
        const n = frame.notification;
        h.subscriptionStatus = n.status ?? h.subscriptionStatus;
        if (n.eventsSinceSubscriptionStart !== null) {
          h.eventsSinceSubscriptionStart = n.eventsSinceSubscriptionStart;
        }
        if (n.type === 'handshake') {
          sub.replayUntil = Number(n.eventsSinceSubscriptionStart ?? '0');
        }
        if (n.type === 'heartbeat' || n.type === 'handshake') {
          h.lastHeartbeatAt = h.lastFrameAt;
          // A heartbeat or handshake may repeat an old event (fhir-candle): liveness only, never new
          // events. A count above the cursor means events were missed; recover after the grace window.
          const count = Number(n.eventsSinceSubscriptionStart ?? '0');
          const cursor = store.getCursor(sub.record.key);
          // A count below what we already hold means the server counted again (restart, HAPI).
          if (n.type === 'handshake' && n.eventsSinceSubscriptionStart !== null && count < cursor) {
            enterNoSequenceMode(sub, 'the server count went backwards');
          }
          if (sub.record.sequenceMode === 'no-sequence') {
            if (n.type === 'handshake') scheduleReconcile(sub);
          } else if (count > cursor) {
            scheduleGapRecovery(sub);
          }
        } else if (n.type === 'event-notification') {
          const source: EventSource = n.events.every((e) => Number(e.eventNumber) <= sub.replayUntil)
            ? 'replay'
            : 'live';
          await commit(sub, n.events, source);
        }
        break;
      }
      case 'token-expiring': {
        // The token this connection was opened with expires soon: renew, and reconnect only when the
        // renewal produced a different token. Expiry times are not compared (client and server clocks
        // and rounding differ); a failed renewal leaves the stream alone until the server closes it.
        const usedToken = sub.connectedToken;
        const renewed = await session
          .refreshNow('server announced token expiry')
          .then(() => session.accessToken())
          .catch(() => null);
        if (renewed !== null && renewed !== usedToken) sub.channel.reconnect('token refreshed');
        break;
      }
      case 'gap':
        h.gapsDetected += 1;
        h.lastError = `server no longer holds events after ${frame.requestedAfter}; first available ${frame.firstAvailable}`;
        break;
      case 'revoked':
        h.lastError = `access revoked: ${frame.reason}`;
        break;
      case 'token-expired':
        break;
    }
    pushHealth();
  }

  function onState(sub: Running, state: ChannelState, detail: string | null) {
    const h = sub.health.entry;
    if (state === 'reconnecting') h.reconnects += 1;
    h.connection = state === 'reconnecting' ? 'reconnecting' : state;
    if (detail && state !== 'live') h.lastError = detail;
    const expires = session.tokenExpiresAt();
    h.tokenExpiresAt = expires ? new Date(expires).toISOString() : null;
    pushHealth();
  }

  return {
    async start() {
      // Resume work a previous run committed but did not finish (crash between commit and notify).
      // A delivery cut off mid-way ('notifying') may or may not have reached the screen: for a critical
      // result a repeat is safer than a loss, so it is retried (and audited as interrupted).
      alerting.reclaimInterrupted();
      enqueueEnrichment(store.alertsAwaitingFetch().map((a) => a.id));
      for (const pending of store.alertsAwaitingNotification()) {
        if (pending.tier !== 'unclassified' && interrupts(pending.tier as AlertTier))
          catchUpCriticals.push(pending);
      }
      if (catchUpCriticals.length > 0) summaryTimer ??= setTimeout(flushCatchUp, 400);

      const offered = await discoverTopics(access);
      for (const topic of options.topics) {
        // A server that advertises topics but not this one would refuse it; say so instead of failing
        // the whole sign-in. A server that advertises none is simply asked.
        if (offered.size > 0 && !offered.has(topic.topic)) {
          const health = createHealthEntry(`unavailable|${topic.topic}`, topic.topic);
          health.entry.connection = 'stopped';
          health.entry.lastError = `the server does not offer the topic ${topic.topic}`;
          unavailable.push(health);
          continue;
        }
        const record = await ensureSubscription(access, store, session.fhirUser, topic);
        const health = createHealthEntry(record.key, record.topic);
        const sub: Running = {
          record,
          health,
          replayUntil: record.cursor,
          gapTimer: null,
          connectedToken: null,
          reconcileQuery: topic.reconcileQuery ?? null,
          reconciledUntil: new Date(Date.now() - 60 * 60_000).toISOString(),
          reconcileTimer: null,
          channel: undefined as unknown as Channel,
        };
        const callbacks: ChannelCallbacks = {
          onFrame: (frame) => handleFrame(sub, frame),
          onState: (state, detail) => onState(sub, state, detail),
          onError: (message) => reportError(sub, message),
          onUnauthorized: () => refreshed(session, 'stream answered 401'),
        };
        const getAccessToken = async () => {
          sub.connectedToken = await session.accessToken();
          return sub.connectedToken;
        };
        const backoff = options.channelBackoff ? { backoff: options.channelBackoff } : {};
        if (record.channel === 'websocket') {
          // No Last-Event-ID on websockets: each (re)bind's handshake carries the server's count, and a
          // count above our cursor triggers the $events catch-up (handleFrame).
          sub.health.entry.channel = 'websocket';
          sub.channel = createWebSocketChannel({
            fhirBase: session.fhirBase,
            subscriptionId: record.remoteId,
            getAccessToken,
            callbacks,
            heartbeatSeconds: record.heartbeatSeconds,
            ...backoff,
          });
        } else {
          if (!record.endpoint) throw new Error(`no stream endpoint for ${record.topic}`);
          sub.channel = createSseChannel({
            url: record.endpoint,
            getAccessToken,
            getCursor: () => {
              // Local numbers mean nothing to a server without sequence; otherwise always send the
              // cursor, "0" included, so events between creating the Subscription and connecting
              // arrive through the replay rather than through gap recovery.
              if (sub.record.sequenceMode === 'no-sequence') return null;
              return String(store.getCursor(record.key));
            },
            heartbeatSeconds: record.heartbeatSeconds,
            ...backoff,
            callbacks,
          });
        }
        running.set(record.key, sub);
        sub.channel.start();
      }
      pushHealth();
    },
    async stop() {
      stopped = true;
      if (summaryTimer) clearTimeout(summaryTimer);
      summaryTimer = null;
      await Promise.all(
        [...running.values()].map(async (sub) => {
          if (sub.gapTimer) clearTimeout(sub.gapTimer);
          if (sub.reconcileTimer) clearTimeout(sub.reconcileTimer);
          await sub.channel.stop();
        }),
      );
      settleIdle();
    },
    async retire() {
      await this.stop();
      const problems: string[] = [];
      for (const sub of running.values()) {
        try {
          const current = await fhirFetch(access, `Subscription/${sub.record.remoteId}`);
          if (current.status !== 200) throw new Error(`read answered ${current.status}`);
          const off = await fhirFetch(access, `Subscription/${sub.record.remoteId}`, {
            method: 'PUT',
            body: { ...(current.body as object), status: 'off' },
          });
          if (off.status !== 200) throw new Error(`update answered ${off.status}`);
        } catch (error) {
          problems.push(
            `Subscription/${sub.record.remoteId}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      if (problems.length > 0)
        logger.warn({ problems: problems.length }, 'could not turn every subscription off');
      return problems;
    },
    health: () =>
      [...running.values(), ...unavailable.map((health) => ({ health }))].map((r) => ({ ...r.health.entry })),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
  };
}

/** "Given Family" from the first usable HumanName; never throws on odd shapes. */
export function humanName(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  for (const name of value) {
    if (!name || typeof name !== 'object') continue;
    const { text, given, family } = name as { text?: unknown; given?: unknown; family?: unknown };
    if (typeof text === 'string' && text.trim()) return text.trim().slice(0, 120);
    const parts = [
      ...(Array.isArray(given) ? given.filter((g): g is string => typeof g === 'string') : []),
      typeof family === 'string' ? family : '',
    ];
    const joined = parts.join(' ').trim();
    if (joined) return joined.slice(0, 120);
  }
  return null;
}
