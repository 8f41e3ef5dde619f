// The ward workstation's continuous watch: the ward identity (SMART Backend Services, system scopes for
// one ward) keeps the subscriptions and the monitor running whoever is or is not signed in at the
// screen. A failed sign-in or a lost session is retried, and the reason is kept for health: a watch
// that is not running is always shown red, never as calm.
import type { SubscriptionHealth } from '../../shared/api.ts';
import type { Logger } from '../log.ts';
import type { Monitor } from '../monitor/monitor.ts';
import type { MonitorSession } from '../ports.ts';

/** What the ward identity's sign-in gives: a session that may end (a failed renewal) and be revoked. */
export interface WardSession extends MonitorSession {
  onChange(
    listener: (state: { state: 'signed-in' | 'signed-out'; reason: string | null }) => void,
  ): () => void;
  signOut(): Promise<void>;
}

export interface WardWatchOptions {
  /** Sign the ward identity in (the composition root reads the key file and builds this). */
  signIn(): Promise<WardSession>;
  /** The monitor for the ward's session (the service builds it like a user's, owned by the ward). */
  openMonitor(session: WardSession): Monitor;
  logger: Logger;
  /** Something the health depends on changed. */
  onChange(): void;
  /** Called once the monitor is subscribed and streaming (the local demo emits a result then). */
  onSubscribed?(): void;
  /** Wait this long before trying again after a failure. Default 30 s. */
  retryMs?: number;
}

export interface WardWatch {
  start(): void;
  health(): SubscriptionHealth[];
  /** Why the ward is not being watched right now, in words; null while it is. */
  problem(): string | null;
  /** The ward identity's session while it is signed in (it issues escalation steps), else null. */
  session(): WardSession | null;
  /** Close the streams; the ward's subscriptions stay active on the server for the next start. */
  stop(): Promise<void>;
}

interface WatchState {
  session: WardSession | null;
  monitor: Monitor | null;
  problem: string | null;
  retryTimer: NodeJS.Timeout | null;
  stopped: boolean;
}

export function createWardWatch(options: WardWatchOptions): WardWatch {
  const retryMs = options.retryMs ?? 30_000;
  const state: WatchState = {
    session: null,
    monitor: null,
    problem: 'the ward watch is starting',
    retryTimer: null,
    stopped: false,
  };

  function scheduleRetry(why: string): void {
    state.problem = `the ward is not being watched: ${why} (retrying)`;
    options.logger.warn({ err: why }, 'ward watch not running; will retry');
    options.onChange();
    if (state.stopped || state.retryTimer) return;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = null;
      void attempt();
    }, retryMs);
    state.retryTimer.unref();
  }

  async function attempt(): Promise<void> {
    if (state.stopped) return;
    try {
      const session = await options.signIn();
      if (state.stopped) {
        await session.signOut().catch(() => undefined);
        return;
      }
      const monitor = options.openMonitor(session);
      state.session = session;
      state.monitor = monitor;
      session.onChange((change) => {
        if (change.state === 'signed-out' && state.session === session)
          void lost(change.reason ?? 'signed out');
      });
      await monitor.start();
      state.problem = null;
      options.onChange();
      options.onSubscribed?.();
    } catch (error) {
      await dropSession();
      scheduleRetry(error instanceof Error ? error.message : String(error));
    }
  }

  async function dropSession(): Promise<void> {
    const monitor = state.monitor;
    state.monitor = null;
    state.session = null;
    await monitor?.stop();
  }

  async function lost(reason: string): Promise<void> {
    await dropSession();
    scheduleRetry(`the ward identity's session ended (${reason})`);
  }

  return {
    start: () => void attempt(),
    health: () => state.monitor?.health() ?? [],
    problem: () => state.problem,
    session: () => state.session,
    async stop() {
      state.stopped = true;
      if (state.retryTimer) clearTimeout(state.retryTimer);
      state.retryTimer = null;
      // Closing the app keeps the ward's subscriptions active: the next start catches up from them.
      await dropSession();
    },
  };
}
