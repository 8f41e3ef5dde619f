// Per-subscription health, pushed to the renderer. Silence must never look like calm: anything not
// plainly live produces banner text, and so does a "live" subscription whose heartbeats stopped (a
// connection can stay open while nothing arrives).
import type { HealthSnapshot, SubscriptionHealth } from '../../shared/api.ts';

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
  const samples: number[] = [];
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
  return {
    entry,
    recordLatency(ms: number) {
      samples.push(ms);
      if (samples.length > LATENCY_SAMPLES) samples.shift();
      const sorted = [...samples].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
      entry.latencyMs = { p50: at(0.5), p99: at(0.99) };
    },
  };
}

function describe(entry: SubscriptionHealth, now: number): string | null {
  if (entry.connection === 'stopped') return `Alerts stopped: ${entry.lastError ?? 'the stream was closed'}`;
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

export function snapshot(
  entries: readonly SubscriptionHealth[],
  signedIn: boolean,
  now = Date.now(),
): HealthSnapshot {
  const problems = entries.map((e) => describe(e, now)).filter((t): t is string => t !== null);
  const degraded = !signedIn
    ? null
    : entries.length === 0
      ? 'Not subscribed to any alerts yet'
      : (problems[0] ?? null);
  return { at: new Date(now).toISOString(), subscriptions: entries.map((e) => ({ ...e })), degraded };
}
