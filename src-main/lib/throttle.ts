// Pushes to the renderer (health, session, alerting counts, the locked ward view) coalesce: a burst of
// changes within one interval becomes one push of the latest state. A push whose work grows with the
// store (counts over every open critical, arrivals since sign-in) also waits in proportion to what it
// cost: during a catch-up of 100,000 alerts such counts took 20–50 ms each, and at one per 50 ms they
// held the monitor's thread for a quarter to a third of the catch-up (`npm run bench:host:catchup`,
// docs/benchmarks.md).

export interface Throttled {
  /** Ask for a push; the first request in an interval schedules it. */
  request(): void;
  cancel(): void;
}

export interface ThrottleOptions {
  /**
   * After a push that took `d` ms, the next waits at least `d × costFactor` ms: pushes take at most
   * about 1/costFactor of the thread, however large the store. Default 20 (5 %).
   */
  costFactor?: number;
  /** The clock the cost is measured with (tests). */
  now?: () => number;
}

/** Run `push` at most once per `ms` (longer after a costly push), `ms` after the first request. */
export function throttled(push: () => void, ms: number, options: ThrottleOptions = {}): Throttled {
  const costFactor = options.costFactor ?? 20;
  const now = options.now ?? (() => performance.now());
  let timer: NodeJS.Timeout | null = null;
  /** Not before this time (the clock's), because the last push was costly. */
  let notBefore = 0;
  return {
    request() {
      timer ??= setTimeout(
        () => {
          timer = null;
          const started = now();
          push();
          const finished = now();
          notBefore = finished + (finished - started) * costFactor;
        },
        Math.max(ms, notBefore - now()),
      );
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
