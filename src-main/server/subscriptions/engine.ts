// The subscription engine: keeps the live subscriptions in memory, evaluates topics inside every
// resource write transaction and appends to the per-subscription event log there (so event numbers are
// gap-free and never reused, even across kill -9), then wakes the open channels after commit.
import type pino from 'pino';
import type { Db } from '../../lib/sqlite.ts';
import { labelsAllow, wardLabels } from '../base/authz.ts';
import type { FhirResource, StoredResource } from '../base/types.ts';
import { scopesAllowResource } from '../store/access.ts';
import type { Interaction, ResourceChange, ResourceStore } from '../store/resources.ts';
import { TOPICS } from '../topics/definitions.ts';
import { matchesCriterion, triggerFires } from '../topics/evaluate.ts';
import type { SubscriptionConfig, SubscriptionStatus } from './parse.ts';
import { parseSubscription } from './parse.ts';

export interface EventRecord {
  subscriptionId: string;
  eventNumber: number;
  /** ISO instant the event was logged. */
  at: string;
  topic: string;
  focusType: string;
  focusId: string;
  focusVersion: number;
  interaction: Interaction;
  /** Ward labels of the focus, so delivery can re-check them against the connection's grant. */
  labels: string[];
}

export interface SubscriptionEntry {
  config: SubscriptionConfig;
  /** Grant subject that owns the subscription; only they can read it or connect to its channel. */
  owner: string;
  /** Ward labels of the owner when the subscription was last written; events outside them are not logged. */
  labels: string[];
  /** The owner's scopes then (granular conditions filter events too); absent or null when not recorded
   * (subscriptions saved before scopes were): delivery still filters by the connection's grant. */
  scopes?: readonly string[] | null;
}

/** Who a subscription is saved for: its owner and what the owner's grant may see. */
export type SubscriptionOwner = Omit<SubscriptionEntry, 'config'>;

export type BusMessage =
  { kind: 'event'; event: EventRecord } | { kind: 'status'; status: SubscriptionStatus };

export interface SubscriptionEngine {
  get(id: string): SubscriptionEntry | null;
  all(): SubscriptionEntry[];
  /** Store a validated Subscription version and its owner in one transaction. */
  save(resource: FhirResource & { id: string }, owner: SubscriptionOwner, ifMatch?: number): StoredResource;
  /** Owner recorded in the log (kept after deletion, so history stays private). */
  ownerOf(id: string): string | null;
  remove(id: string): void;
  eventCount(id: string): number;
  /** Lowest event number still in the log, or null when the log holds none. */
  firstAvailable(id: string): number | null;
  /** Events with since < eventNumber <= until, oldest first. */
  readEvents(id: string, since: number, until: number, limit?: number): EventRecord[];
  subscribe(id: string, listener: (message: BusMessage) => void): () => void;
  isLive(entry: SubscriptionEntry, now: number): boolean;
  /** Turn subscriptions past their `end` off; drop events older than the retention window. */
  maintain(now: number): void;
}

interface EventRow {
  subscription_id: string;
  event_number: number;
  created_at: string;
  topic: string;
  focus_type: string;
  focus_id: string;
  focus_version: number;
  interaction: string;
  labels: string;
}

const toRecord = (row: EventRow): EventRecord => ({
  subscriptionId: row.subscription_id,
  eventNumber: row.event_number,
  at: row.created_at,
  topic: row.topic,
  focusType: row.focus_type,
  focusId: row.focus_id,
  focusVersion: row.focus_version,
  interaction: row.interaction as Interaction,
  labels: JSON.parse(row.labels) as string[],
});

export interface EngineOptions {
  db: Db;
  store: ResourceStore;
  retentionDays: number;
  logger?: pino.Logger;
}

export function createSubscriptionEngine({
  db,
  store,
  retentionDays,
  logger,
}: EngineOptions): SubscriptionEngine {
  const entries = new Map<string, SubscriptionEntry>();
  const listeners = new Map<string, Set<(message: BusMessage) => void>>();

  const selectLog = db.prepare<
    [string],
    { owner: string; labels: string; scopes: string | null; event_count: number }
  >('SELECT owner, labels, scopes, event_count FROM subscription_log WHERE subscription_id = ?');
  const upsertLog = db.prepare(
    `INSERT INTO subscription_log (subscription_id, owner, labels, scopes, event_count) VALUES (?, ?, ?, ?, 0)
     ON CONFLICT (subscription_id) DO UPDATE SET owner = excluded.owner, labels = excluded.labels,
       scopes = excluded.scopes`,
  );
  const bumpCount = db.prepare<[string], { event_count: number }>(
    'UPDATE subscription_log SET event_count = event_count + 1 WHERE subscription_id = ? RETURNING event_count',
  );
  const insertEvent = db.prepare(
    `INSERT INTO subscription_event (subscription_id, event_number, created_at, topic, focus_type, focus_id,
       focus_version, interaction, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectEvents = db.prepare<[string, number, number, number], EventRow>(
    `SELECT * FROM subscription_event WHERE subscription_id = ? AND event_number > ? AND event_number <= ?
     ORDER BY event_number LIMIT ?`,
  );
  const selectFirst = db.prepare<[string], { n: number | null }>(
    'SELECT MIN(event_number) AS n FROM subscription_event WHERE subscription_id = ?',
  );
  const pruneEvents = db.prepare('DELETE FROM subscription_event WHERE created_at < ?');

  const publish = (id: string, message: BusMessage): void => {
    for (const listener of listeners.get(id) ?? []) {
      try {
        listener(message);
      } catch (error) {
        logger?.error({ err: error, subscriptionId: id }, 'subscription listener failed');
      }
    }
  };

  function load(resource: StoredResource): SubscriptionEntry | null {
    const log = selectLog.get(resource.id);
    if (!log) return null;
    try {
      return {
        config: parseSubscription(resource, resource.id),
        owner: log.owner,
        labels: JSON.parse(log.labels) as string[],
        scopes: log.scopes === null ? null : (JSON.parse(log.scopes) as string[]),
      };
    } catch (error) {
      logger?.warn(
        { subscriptionId: resource.id, err: error },
        'stored subscription no longer valid; ignored',
      );
      return null;
    }
  }

  for (const row of db
    .prepare<[], { body: string }>(
      "SELECT body FROM resource_current WHERE type = 'Subscription' AND deleted = 0",
    )
    .all()) {
    const resource = JSON.parse(row.body) as StoredResource;
    const entry = load(resource);
    if (entry) entries.set(resource.id, entry);
  }

  const isLive = (entry: SubscriptionEntry, now: number): boolean =>
    entry.config.status === 'active' && (entry.config.end === null || entry.config.end > now);

  function onChange(change: ResourceChange): (() => void) | undefined {
    if (change.type === 'Subscription' || change.type === 'Basic') return undefined;
    const now = Date.parse(change.at);
    const live = [...entries.values()].filter((entry) => isLive(entry, now));
    if (live.length === 0) return undefined;
    const focus = change.current ?? change.previous;
    if (!focus) return undefined;
    const focusLabels = wardLabels(focus);
    const logged: EventRecord[] = [];
    for (const topic of TOPICS) {
      const candidates = live.filter((entry) => entry.config.topic === topic);
      if (candidates.length === 0) continue;
      if (!topic.triggers.some((trigger) => triggerFires(trigger, change))) continue;
      for (const entry of candidates) {
        if (!entry.config.filters.every((filter) => matchesCriterion(focus, filter))) continue;
        // A subscription belongs to one user: events it may never show them are not logged at all.
        if (!labelsAllow(entry.labels, focusLabels) || !scopesAllowResource(entry.scopes ?? null, focus))
          continue;
        const counter = bumpCount.get(entry.config.id);
        if (!counter) continue;
        const event: EventRecord = {
          subscriptionId: entry.config.id,
          eventNumber: counter.event_count,
          at: change.at,
          topic: topic.url,
          focusType: change.type,
          focusId: change.id,
          focusVersion: change.versionId,
          interaction: change.interaction,
          labels: focusLabels,
        };
        insertEvent.run(
          event.subscriptionId,
          event.eventNumber,
          event.at,
          event.topic,
          event.focusType,
          event.focusId,
          event.focusVersion,
          event.interaction,
          JSON.stringify(event.labels),
        );
        logged.push(event);
      }
    }
    if (logged.length === 0) return undefined;
    return () => {
      for (const event of logged) publish(event.subscriptionId, { kind: 'event', event });
    };
  }
  store.addHook(onChange);

  function save(
    resource: FhirResource & { id: string },
    { owner, labels, scopes = null }: SubscriptionOwner,
    ifMatch?: number,
  ): StoredResource {
    const stored = db.transaction(() => {
      upsertLog.run(
        resource.id,
        owner,
        JSON.stringify(labels),
        scopes === null ? null : JSON.stringify(scopes),
      );
      return store.update(resource, ifMatch).resource;
    })();
    const entry = load(stored);
    const before = entries.get(stored.id);
    if (entry) entries.set(stored.id, entry);
    if (entry && before?.config.status !== entry.config.status) {
      publish(stored.id, { kind: 'status', status: entry.config.status });
    }
    return stored;
  }

  return {
    get: (id) => entries.get(id) ?? null,
    all: () => [...entries.values()],
    save,
    ownerOf: (id) => selectLog.get(id)?.owner ?? null,
    remove(id) {
      store.delete('Subscription', id);
      entries.delete(id);
      publish(id, { kind: 'status', status: 'off' });
    },
    eventCount: (id) => selectLog.get(id)?.event_count ?? 0,
    firstAvailable: (id) => selectFirst.get(id)?.n ?? null,
    readEvents: (id, since, until, limit = 1_000_000) =>
      selectEvents.all(id, since, until, limit).map(toRecord),
    subscribe(id, listener) {
      let set = listeners.get(id);
      if (!set) {
        set = new Set();
        listeners.set(id, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(id);
      };
    },
    isLive,
    maintain(now) {
      for (const entry of entries.values()) {
        if (entry.config.status === 'active' && entry.config.end !== null && entry.config.end <= now) {
          const current = store.find('Subscription', entry.config.id);
          if (current) save({ ...current, status: 'off' }, entry);
          logger?.info({ subscriptionId: entry.config.id }, 'subscription reached its end; now off');
        }
      }
      const cutoff = new Date(now - retentionDays * 86_400_000).toISOString();
      const removed = pruneEvents.run(cutoff).changes;
      if (removed > 0) logger?.info({ removed }, 'event log retention');
    },
  };
}
