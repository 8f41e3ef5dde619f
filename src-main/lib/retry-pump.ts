// The sending half of a durable outbox (the acknowledgment write-back, the pharmacist's decisions):
// one drain at a time over the items due now, then a timer for the next one due. The queue itself, and
// what a failure records (its reason, the next attempt), stay with the caller's store: nothing here holds
// an item, so a crash at any instant leaves every unsent item in the database to be sent next time.

export interface Backoff {
  baseMs: number;
  capMs: number;
}

/** The wait before the next attempt after `attempts` failed ones: doubling from `baseMs`, capped. */
export function retryDelay(attempts: number, backoff: Backoff): number {
  return Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(Math.max(attempts, 0), 20));
}

/** A timer never fires sooner than this, so a row already due cannot spin the loop. */
const MIN_WAIT_MS = 50;

export interface RetryPumpOptions {
  /**
   * Send what is due now. `isStopped` turns true on `stop()` (sign-out, shutdown: the store may close);
   * the drain checks it after each await and then touches nothing.
   */
  drain(isStopped: () => boolean): Promise<void>;
  /** When the next queued item is due (epoch ms), or null when nothing waits. */
  nextDueAt(): number | null;
  now(): number;
  /** A timer-started drain threw (its store closed under it): told here, since nobody awaits it. */
  onDrainError(error: unknown): void;
}

export interface RetryPump {
  /** Drain now; a call while a drain runs joins it instead of starting a second one. */
  pump(): Promise<void>;
  stop(): void;
  isStopped(): boolean;
}

export function createRetryPump(options: RetryPumpOptions): RetryPump {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const isStopped = () => stopped;

  function clearTimer(): void {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function scheduleNext(): void {
    clearTimer();
    if (stopped) return;
    const next = options.nextDueAt();
    if (next === null) return;
    timer = setTimeout(() => pump().catch(options.onDrainError), Math.max(MIN_WAIT_MS, next - options.now()));
    timer.unref?.();
  }

  function pump(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) return running;
    running = options.drain(isStopped).finally(() => {
      running = null;
      scheduleNext();
    });
    return running;
  }

  return {
    pump,
    isStopped,
    stop() {
      stopped = true;
      clearTimer();
    },
  };
}
