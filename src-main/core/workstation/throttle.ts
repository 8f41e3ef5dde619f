// Pushes to the renderer (health, session, the locked ward view) coalesce: a burst of changes within
// one interval becomes one push of the latest state.

export interface Throttled {
  /** Ask for a push; the first request in an interval schedules it. */
  request(): void;
  cancel(): void;
}

/** Run `push` at most once per `ms`, `ms` after the first request. */
export function throttled(push: () => void, ms: number): Throttled {
  let timer: NodeJS.Timeout | null = null;
  return {
    request() {
      timer ??= setTimeout(() => {
        timer = null;
        push();
      }, ms);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
