// The subscriptions a monitor runs: each started from its plan (ensure the server-side Subscription,
// open its channel, catch up by query where the server cannot replay), and re-created when the server
// no longer has it (Medplum deletes a websocket subscription when its socket closes): the lost one's
// record is retired, never deleted, so no alert goes with it; the new one reconciles from the last
// `lastUpdated` accounted for. A failed re-creation is retried with backoff until the monitor stops.
import type { Channel } from '../channels/types.ts';
import { ownerTag } from './subscription-body.ts';
import { openChannel, type ChannelOptions } from './channel-lifecycle.ts';
import { createHealthEntry, type HealthTracker } from './health.ts';
import { describeProfile, type ServerProfile } from './server-profile.ts';
import { ensureSubscription, subscriptionExists, type SetupDeps } from './subscription-setup.ts';
import type { SubscriptionPlan } from './subscription-plan.ts';
import {
  cancelTimers,
  newSubscriptionState,
  reconciles,
  reconcileStart,
  reportError,
  type FollowUps,
  type PipelineDeps,
  type SubscriptionState,
} from './state.ts';

/** A subscription with its channel, while the monitor runs. */
export interface Running {
  state: SubscriptionState;
  channel: Channel;
}

/** Re-creation attempts wait this long (then the last value) between tries. */
const RECREATE_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

export interface RunningSet {
  byKey: Map<string, Running>;
  /** Health of subscriptions being re-created, so the gap never looks like calm. */
  recreating: Set<HealthTracker>;
  timers: Set<NodeJS.Timeout>;
  stopped: boolean;
  channelOptions: ChannelOptions;
}

export function createRunningSet(channelOptions: ChannelOptions): RunningSet {
  return { byKey: new Map(), recreating: new Set(), timers: new Set(), stopped: false, channelOptions };
}

function setupDeps(deps: PipelineDeps, profile: ServerProfile): SetupDeps {
  return {
    access: deps.access,
    store: deps.store,
    owner: deps.owner,
    tag: ownerTag(deps.store.facts.installationId(), deps.owner),
    profile,
    logger: deps.logger,
  };
}

/** Ensure the server-side Subscription for a plan and open its channel. */
export async function startPlan(
  deps: PipelineDeps,
  followUps: FollowUps,
  set: RunningSet,
  profile: ServerProfile,
  plan: SubscriptionPlan,
  health?: HealthTracker,
): Promise<Running> {
  const record = await ensureSubscription(setupDeps(deps, profile), plan);
  // The monitor stopped while the server was answering: nothing may start after a stop.
  if (set.stopped) throw new Error('the monitor stopped');
  const tracker = health ?? createHealthEntry(record.key, record.topic, record.heartbeatSeconds);
  Object.assign(tracker.entry, {
    subscriptionKey: record.key,
    topic: record.topic,
    watchingSince: record.createdAt,
  });
  // A resumed subscription's last event number is its stored cursor until something new is committed:
  // health must not show none beside the server's count, as if the cursor had been lost.
  if (tracker.entry.lastEventNumber === null && record.cursor > 0)
    tracker.entry.lastEventNumber = String(record.cursor);
  const state = newSubscriptionState(
    record,
    tracker,
    plan.reconcileQuery,
    reconcileStart(deps, plan.topic),
    plan,
  );
  const channel = openChannel(deps, followUps, state, set.channelOptions);
  const running = { state, channel };
  set.byKey.set(record.key, running);
  deps.logger.info(
    { subscription: record.remoteId, channel: record.channel, server: describeProfile(profile) },
    'subscribed',
  );
  channel.start();
  // Whatever changed since the last look (the sign-in, the first time) is found by one query.
  if (reconciles(state)) followUps.scheduleReconcile(state);
  return running;
}

function sleep(set: RunningSet, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      set.timers.delete(timer);
      resolve();
    }, ms);
    set.timers.add(timer);
  });
}

/** Create the replacement, retrying with backoff while the server cannot be reached. */
async function recreate(
  deps: PipelineDeps,
  followUps: FollowUps,
  set: RunningSet,
  profile: ServerProfile,
  plan: SubscriptionPlan,
  health: HealthTracker,
): Promise<void> {
  set.recreating.add(health);
  try {
    for (let attempt = 0; !set.stopped; attempt += 1) {
      try {
        await startPlan(deps, followUps, set, profile, plan, health);
        return;
      } catch (error) {
        health.entry.connection = 'reconnecting';
        health.entry.lastError = `could not re-create the subscription: ${error instanceof Error ? error.message : String(error)}`;
        deps.pushHealth();
        await sleep(set, RECREATE_DELAYS_MS[Math.min(attempt, RECREATE_DELAYS_MS.length - 1)] ?? 30_000);
      }
    }
  } finally {
    set.recreating.delete(health);
  }
}

/**
 * The channel suggests the server lost the subscription. Confirmed (404/410 on a read), the old record
 * is retired with its events and alerts kept, and a new subscription is created and caught up. Not
 * confirmed, nothing is retired; a stopped channel stays stopped and says why in health.
 */
export async function replaceIfGone(
  deps: PipelineDeps,
  followUps: FollowUps,
  set: RunningSet,
  profile: ServerProfile,
  sub: SubscriptionState,
  detail: string,
): Promise<void> {
  const running = set.byKey.get(sub.record.key);
  if (!running || running.state !== sub || sub.stopping || set.stopped || !sub.plan) return;
  sub.stopping = true;
  const exists = await deps.access
    .accessToken()
    .then(() => subscriptionExists(deps.access, sub.record.remoteId))
    .catch(() => null);
  if (exists !== false || set.stopped) {
    sub.stopping = false;
    return;
  }
  set.byKey.delete(sub.record.key);
  cancelTimers(sub);
  await running.channel.stop();
  deps.store.retireSubscription(sub.record.key);
  if (sub.everLive && sub.record.channel === 'websocket') profile.learn({ survivesSocket: false });
  sub.health.entry.connection = 'reconnecting';
  sub.health.entry.lastError = `the server no longer has the subscription (${detail}); re-creating it`;
  reportError(deps, sub, sub.health.entry.lastError);
  await recreate(deps, followUps, set, profile, sub.plan, sub.health);
}

/** Stop every channel and every pending re-creation. */
export async function stopAll(set: RunningSet): Promise<void> {
  set.stopped = true;
  for (const timer of set.timers) clearTimeout(timer);
  set.timers.clear();
  await Promise.all(
    [...set.byKey.values()].map(async ({ state, channel }) => {
      state.stopping = true;
      cancelTimers(state);
      await channel.stop();
    }),
  );
}
