// Per-subscription health, pushed to the renderer. Silence must never look like calm: anything not
// plainly live produces banner text, and so does a "live" subscription whose heartbeats stopped (a
// connection can stay open while nothing arrives), a failing token renewal, or a session that ended.
import type { HealthSnapshot, SubscriptionHealth, TokenRenewalHealth } from '../../shared/api.ts';
import { RESULT_NEWS_TOPICS } from '../store/result-news.ts';
import { REREAD_TOPICS } from './topics.ts';

const LATENCY_SAMPLES = 2048;

export interface HealthTracker {
  readonly entry: SubscriptionHealth;
  recordLatency(ms: number): void;
}

/** Heartbeats missed for this long (twice the period, plus slack) make a live subscription degraded. */
export function staleAfterMs(heartbeatSeconds: number): number {
  return 2 * heartbeatSeconds * 1000 + 5000;
}

export function createHealthEntry(
  subscriptionKey: string,
  topic: string,
  heartbeatSeconds?: number,
): HealthTracker {
  const latency = createLatencyWindow();
  const entry: SubscriptionHealth = {
    subscriptionKey,
    topic,
    channel: 'sse',
    connection: 'connecting',
    subscriptionStatus: null,
    lastFrameAt: null,
    lastHeartbeatAt: null,
    lastEventNumber: null,
    eventsSinceSubscriptionStart: null,
    gapsDetected: 0,
    gapsRecovered: 0,
    duplicatesDropped: 0,
    reconnects: 0,
    channelErrors: 0,
    lastError: null,
    latencyMs: { p50: null, p99: null },
    tokenExpiresAt: null,
    ...(heartbeatSeconds !== undefined && heartbeatSeconds > 0 ? { heartbeatSeconds } : {}),
  };
  // Percentiles are worked out when health is read (a snapshot copies the entry), not per event: sorting
  // 2,048 samples for every committed event cost more than the commit at 200 events/s.
  Object.defineProperty(entry, 'latencyMs', {
    enumerable: true,
    get: () => latencyPercentiles(latency),
    set: (value: SubscriptionHealth['latencyMs']) => {
      latency.fixed = value;
    },
  });
  return {
    entry,
    recordLatency(ms: number) {
      latency.fixed = null;
      latency.samples[latency.next] = ms;
      latency.next = (latency.next + 1) % LATENCY_SAMPLES;
      latency.sorted = null;
    },
  };
}

/** The last LATENCY_SAMPLES latencies (a ring), sorted lazily. */
interface LatencyWindow {
  samples: number[];
  next: number;
  sorted: { p50: number | null; p99: number | null } | null;
  /** A value set from outside (tests, restores) until the next sample. */
  fixed: SubscriptionHealth['latencyMs'] | null;
}

function createLatencyWindow(): LatencyWindow {
  return { samples: [], next: 0, sorted: null, fixed: null };
}

function latencyPercentiles(window: LatencyWindow): SubscriptionHealth['latencyMs'] {
  if (window.fixed) return window.fixed;
  if (!window.sorted) {
    const sorted = [...window.samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
    window.sorted = { p50: at(0.5), p99: at(0.99) };
  }
  return window.sorted;
}

function describe(entry: SubscriptionHealth, now: number): string | null {
  if (entry.connection === 'stopped')
    return REREAD_TOPICS.has(entry.topic)
      ? null
      : `Alerts stopped: ${entry.lastError ?? 'the stream was closed'}`;
  if (entry.connection !== 'live') {
    const since = entry.lastFrameAt ? Math.round((now - Date.parse(entry.lastFrameAt)) / 1000) : null;
    const quiet = since === null ? 'No connection yet' : `No data for ${since} s`;
    return `${quiet} — ${entry.connection === 'connecting' ? 'connecting' : 'reconnecting'}${entry.lastError ? ` (${entry.lastError})` : ''}`;
  }
  const heard = entry.lastHeartbeatAt ?? entry.lastFrameAt;
  if (entry.heartbeatSeconds !== undefined && heard !== null) {
    const silentMs = now - Date.parse(heard);
    if (silentMs > staleAfterMs(entry.heartbeatSeconds)) {
      return `No heartbeat for ${Math.round(silentMs / 1000)} s — alerts may not be arriving`;
    }
  }
  if (
    entry.subscriptionStatus &&
    entry.subscriptionStatus !== 'active' &&
    entry.subscriptionStatus !== 'requested'
  ) {
    return `Subscription is ${entry.subscriptionStatus} on the server`;
  }
  return null;
}

/** What the session adds to health: a failing renewal, or why it ended when the user did not sign out. */
export interface SessionHealth {
  renewal: { failingSince: number; attempts: number; lastError: string; nextAttemptAt: number | null } | null;
  tokenExpiresAt: number | null;
  /** Set when the session ended by itself (refused renewal, expired token): alerts are not received. */
  signedOutReason: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function renewalHealth(session: SessionHealth | undefined): TokenRenewalHealth | null {
  const renewal = session?.renewal;
  if (!renewal) return null;
  return {
    failingSince: new Date(renewal.failingSince).toISOString(),
    attempts: renewal.attempts,
    lastError: renewal.lastError,
    nextAttemptAt: iso(renewal.nextAttemptAt),
    accessTokenExpiresAt: iso(session.tokenExpiresAt),
  };
}

/** Banner text for a failing renewal: alerts still flow until the token expires, then they stop. */
function describeRenewal(renewal: TokenRenewalHealth, now: number): string {
  const expires = renewal.accessTokenExpiresAt ? Date.parse(renewal.accessTokenExpiresAt) : null;
  const left =
    expires === null
      ? ''
      : expires > now
        ? ` Alerts continue until the access token expires in ${Math.round((expires - now) / 1000)} s.`
        : ' The access token has expired: alerts are NOT being received until renewal succeeds.';
  return `Token renewal failing (${renewal.attempts} attempt${renewal.attempts === 1 ? '' : 's'}: ${renewal.lastError}); retrying.${left}`;
}

export function snapshot(
  entries: readonly SubscriptionHealth[],
  signedIn: boolean,
  session?: SessionHealth,
  now = Date.now(),
): HealthSnapshot {
  const problems = entries.map((e) => describe(e, now)).filter((t): t is string => t !== null);
  const tokenRenewal = signedIn ? renewalHealth(session) : null;
  const lost = !signedIn && session?.signedOutReason ? session.signedOutReason : null;
  const degraded = lost
    ? `Signed out: ${lost} — alerts are NOT being received. Sign in again.`
    : !signedIn
      ? null
      : tokenRenewal
        ? describeRenewal(tokenRenewal, now)
        : entries.length === 0
          ? 'Not subscribed to any alerts yet'
          : (problems[0] ?? null);
  return {
    at: new Date(now).toISOString(),
    subscriptions: entries.map((e) => ({ ...e })),
    degraded,
    tokenRenewal,
    resultsPushed:
      signedIn && entries.some((e) => RESULT_NEWS_TOPICS.has(e.topic) && e.connection === 'live'),
  };
}
