// The headless monitor's supervision: sign in with SMART Backend Services, run the monitor, and react
// when the session or the streams end by themselves. It never idles silently:
//   - signed out (a refused renewal): sign in again with the key and run a new monitor; when that is
//     refused too, or it keeps happening, end with exit code 1 and the reason;
//   - every stream stopped for good (revoked, refused, unknown subscription): end with exit code 3 and
//     the reason, so a supervisor (systemd `Restart=on-failure`) starts a fresh process.
// Each of these is also a JSONL line (docs/headless-monitor.md).
import type { JsonWebKey } from 'node:crypto';
import { signInBackendServices, type SmartSession } from '../auth/index.ts';
import type { Logger } from '../log.ts';
import { createMonitor, type Monitor } from '../monitor/monitor.ts';
import type { AcceptedEvent } from '../monitor/state.ts';
import type { AlertNotification, TopicRequest } from '../ports.ts';
import type { ClientStore } from '../store/client-store.ts';

/**
 * Exit codes of the headless monitor (docs/headless-monitor.md). A supervisor restarts it on any but
 * `usage` and `database`, which a restart cannot mend.
 */
export const EXIT = { stopped: 0, signInFailed: 1, usage: 2, alertsStopped: 3, database: 4 } as const;

/** At most this many fresh sign-ins after a sign-out within REAUTH_WINDOW_MS; then exit 1. */
const MAX_REAUTH = 3;
const REAUTH_WINDOW_MS = 10 * 60_000;

export interface HeadlessOptions {
  fhirBase: string;
  clientId: string;
  privateKey: JsonWebKey & { kid: string };
  scopes: string[];
  topics: TopicRequest[];
  store: ClientStore;
  allowInsecureLoopback: boolean;
  logger: Logger;
  /** One JSONL line (an object); written synchronously by the caller. */
  line(value: Record<string, unknown>): void;
  /** Channel reconnect backoff (tests shorten it). */
  channelBackoff?: { baseMs: number; capMs: number };
}

export interface Headless {
  /** Resolves once, when the monitor ends by itself or is stopped: the exit code and why. */
  exited: Promise<{ code: number; reason: string }>;
  /** Stop (SIGINT/SIGTERM): close the streams; `exited` resolves with code 0. */
  stop(reason?: string): Promise<void>;
  /** The running monitor (tests: idle()). */
  monitor(): Monitor | null;
  session(): SmartSession | null;
}

const now = () => new Date().toISOString();

/** The JSONL line of one OS-notification-equivalent: ids only, no PHI. */
export function notificationLine(n: AlertNotification): Record<string, unknown> {
  return {
    kind: 'notification',
    notificationKind: n.kind ?? 'alert',
    alertId: n.alertId,
    ...(n.alertIds ? { alertIds: n.alertIds } : {}),
    tier: n.tier,
    at: now(),
  };
}

export async function startHeadless(options: HeadlessOptions): Promise<Headless> {
  const { logger, line } = options;
  let current: { session: SmartSession; monitor: Monitor } | null = null;
  let ended = false;
  let resolveExit: (result: { code: number; reason: string }) => void = () => undefined;
  const exited = new Promise<{ code: number; reason: string }>((resolve) => (resolveExit = resolve));
  const reauthentications: number[] = [];

  async function end(code: number, reason: string): Promise<void> {
    if (ended) return;
    ended = true;
    const running = current;
    current = null;
    await running?.monitor.stop();
    line({ kind: 'exit', code, reason, at: now() });
    if (code !== EXIT.stopped) logger.error({ code, reason }, 'headless monitor ending');
    resolveExit({ code, reason });
  }

  const signIn = () =>
    signInBackendServices({
      fhirBase: options.fhirBase,
      clientId: options.clientId,
      privateKey: options.privateKey,
      kid: options.privateKey.kid,
      scopes: options.scopes,
      allowInsecureLoopback: options.allowInsecureLoopback,
      logger: logger.child({ component: 'auth' }),
    });

  /** Every stream stopped for good (not by us): nothing will arrive any more. */
  function checkStreams(monitor: Monitor): void {
    if (ended || current?.monitor !== monitor) return;
    const health = monitor.health();
    if (health.length === 0 || !health.every((h) => h.connection === 'stopped')) return;
    const why = health.map((h) => h.lastError ?? 'stopped').join('; ');
    void end(EXIT.alertsStopped, `every alert stream stopped: ${why}`);
  }

  async function run(session: SmartSession): Promise<void> {
    const monitor: Monitor = createMonitor({
      store: options.store,
      session,
      // Headless: the "notification" is a JSON line with ids only (no PHI in files or logs).
      notifier: {
        notify: async (n) => {
          line(notificationLine(n));
          logger.info({ alertId: n.alertId, tier: n.tier, kind: n.kind ?? 'alert' }, 'alert notified');
        },
      },
      topics: options.topics,
      emit: () => undefined,
      onHealthChange: () => checkStreams(monitor),
      onAccepted: (event: AcceptedEvent) => line({ kind: 'event', ...event, committedAt: now() }),
      logger,
      ...(options.channelBackoff ? { channelBackoff: options.channelBackoff } : {}),
    });
    current = { session, monitor };
    session.onChange((change) => {
      if (current?.session !== session || ended) return;
      if (change.state === 'signed-out') void signedOut(change.reason ?? 'signed out');
      else
        line({
          kind: 'session',
          state: change.reason ? 'renewal-failing' : 'renewal-recovered',
          reason: change.reason,
          at: now(),
        });
    });
    await monitor.start();
  }

  /** The session ended by itself: sign in again with the key, or end with exit code 1. */
  async function signedOut(reason: string): Promise<void> {
    line({ kind: 'session', state: 'signed-out', reason, at: now() });
    const running = current;
    current = null;
    await running?.monitor.stop();
    const t = Date.now();
    reauthentications.push(t);
    while ((reauthentications[0] ?? t) < t - REAUTH_WINDOW_MS) reauthentications.shift();
    if (reauthentications.length > MAX_REAUTH) {
      await end(EXIT.signInFailed, `signed out ${MAX_REAUTH + 1} times within 10 minutes; last: ${reason}`);
      return;
    }
    try {
      const session = await signIn();
      if (ended) return;
      line({ kind: 'session', state: 'signed-in', reason: 'signed in again after a sign-out', at: now() });
      await run(session);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await end(EXIT.signInFailed, `signed out (${reason}); signing in again failed: ${message}`);
    }
  }

  await run(await signIn());
  line({ kind: 'session', state: 'signed-in', reason: null, at: now() });
  return {
    exited,
    stop: (reason = 'stopped') => end(EXIT.stopped, reason),
    monitor: () => current?.monitor ?? null,
    session: () => current?.session ?? null,
  };
}
