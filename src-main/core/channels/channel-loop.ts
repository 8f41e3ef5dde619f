// The reconnect loop and lifecycle every channel shares: connect, report the state, wait out the
// backoff (interruptibly), connect again, until a connection ends with `stop` or the owner stops it.
// A channel supplies how to connect once and how to interrupt the current connection.
import type { Channel, ChannelCallbacks } from './types.ts';

export type Outcome =
  { next: 'retry'; reason: string; delayMs?: number; immediate?: boolean } | { next: 'stop'; reason: string };

export interface LoopContext {
  /** Consecutive failed attempts, for the backoff; a channel resets it when a connection goes live. */
  attempt: number;
}

export interface ChannelLoopHooks<C extends LoopContext> {
  newContext(): C;
  /** One connection from open to close; resolves with what to do next. */
  connectOnce(ctx: C): Promise<Outcome>;
  /** Backoff before the next attempt (`ctx.attempt` is incremented after this). */
  backoffMs(ctx: C): number;
  /** End the connection in progress: for good (`stop`), or to reconnect at once (`reconnect`). */
  interrupt(request: { kind: 'stop' } | { kind: 'reconnect'; reason: string }): void;
  onState: ChannelCallbacks['onState'];
}

export function createChannelLoop<C extends LoopContext>(hooks: ChannelLoopHooks<C>): Channel {
  let started = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  /** A backoff wait that stop() and reconnect() can cut short. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  async function run(): Promise<void> {
    const ctx = hooks.newContext();
    let finalReason = 'stopped';
    hooks.onState('connecting', null);
    while (!stopped) {
      const outcome = await hooks.connectOnce(ctx);
      if (stopped) break;
      if (outcome.next === 'stop') {
        finalReason = outcome.reason;
        break;
      }
      hooks.onState('reconnecting', outcome.reason);
      const delay = outcome.immediate ? 0 : (outcome.delayMs ?? hooks.backoffMs(ctx));
      ctx.attempt += 1;
      await sleep(delay);
    }
    stopped = true;
    hooks.onState('stopped', finalReason);
  }

  return {
    start(): void {
      if (started || stopped) return;
      started = true;
      loop = run();
    },
    async stop(): Promise<void> {
      if (!started) {
        if (!stopped) {
          stopped = true;
          hooks.onState('stopped', 'stopped');
        }
        return;
      }
      stopped = true;
      hooks.interrupt({ kind: 'stop' });
      wake?.();
      await loop;
    },
    reconnect(reason: string): void {
      if (!started || stopped) return;
      hooks.interrupt({ kind: 'reconnect', reason });
      wake?.();
    },
  };
}

/**
 * Thrown by a channel's token source when no token will ever come (the session is signed out): the
 * channel stops with this reason instead of retrying "access token unavailable" for ever.
 */
export class FinalTokenError extends Error {
  override readonly name = 'FinalTokenError';
}

/** Getting the access token failed: stop for a FinalTokenError, otherwise retry after the backoff. */
export function tokenUnavailableOutcome(error: unknown): Outcome {
  if (error instanceof FinalTokenError) return { next: 'stop', reason: error.message };
  const detail = error instanceof Error ? `: ${error.message.slice(0, 200)}` : '';
  return { next: 'retry', reason: `access token unavailable${detail}` };
}

/**
 * 401/403: ask the owner to refresh the token once per failure (reset by the next good connection),
 * then retry at once; a refusal, or a second failure, stops the channel — never a retry loop. An
 * owner that could not renew for a transient reason rejects: the channel then waits out its backoff
 * and tries again (its 401 allowance kept), because stopping would leave it alive but deaf.
 */
export async function unauthorizedOutcome(
  ctx: { authRetryAvailable: boolean },
  status: number,
  onUnauthorized: ChannelCallbacks['onUnauthorized'],
  isStopped: () => boolean,
): Promise<Outcome> {
  if (!ctx.authRetryAvailable)
    return { next: 'stop', reason: `unauthorized (HTTP ${status}) after token refresh` };
  ctx.authRetryAvailable = false;
  let retry: boolean;
  try {
    retry = await onUnauthorized(status);
  } catch (error) {
    if (isStopped()) return { next: 'stop', reason: 'stopped' };
    ctx.authRetryAvailable = true;
    const detail = error instanceof Error ? `: ${error.message.slice(0, 200)}` : '';
    return { next: 'retry', reason: `HTTP ${status}: token renewal failing${detail}` };
  }
  if (isStopped()) return { next: 'stop', reason: 'stopped' };
  return retry
    ? { next: 'retry', reason: `HTTP ${status}: retrying with a refreshed token`, immediate: true }
    : { next: 'stop', reason: `unauthorized (HTTP ${status})` };
}
