// Watching a rules file an editor may change while the app runs (rules-holder.ts, order-checks-holder.ts).
import { watch, type FSWatcher } from 'node:fs';

/** How long a burst of writes must settle before the file is read again (editors write in steps). */
const SETTLE_MS = 200;

/**
 * Call `changed` once a burst of changes to `path` has settled. Returns the stop function; where the
 * file cannot be watched, nothing is called and stopping does nothing.
 */
export function watchSettled(path: string, changed: () => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(path, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(changed, SETTLE_MS);
    });
  } catch {
    return () => undefined;
  }
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
  };
}
