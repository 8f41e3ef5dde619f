// What several parts of the screen derive from the alert list (the counts, the open criticals, the
// shared names), computed once per list: each push creates a new list, and the header, the feed, the
// critical list, the audible cue and the detail all read the same result instead of each scanning a
// 100,000-row list again.
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { actionCounts, type ActionCounts } from './feed-model.ts';
import { sameNameReferences } from './identity.ts';
import { openCriticals } from './triage.ts';

export interface Derived {
  counts: ActionCounts;
  openCriticals: AlertSummary[];
  /** Patients sharing their name with another among the newest alerts. */
  sameNames: Set<string>;
}

/** Same-name detection looks at the newest alerts only (a bounded scan per push). */
const SAME_NAME_SCAN = 5000;

const cache = new WeakMap<readonly AlertSummary[], Derived>();
const EMPTY: readonly AlertSummary[] = [];

export function derive(list: readonly AlertSummary[] | undefined): Derived {
  const key = list ?? EMPTY;
  let derived = cache.get(key);
  if (!derived) {
    derived = {
      counts: actionCounts(key),
      openCriticals: openCriticals(key),
      sameNames: sameNameReferences(key.slice(0, SAME_NAME_SCAN).map((a) => a.patient)),
    };
    cache.set(key, derived);
  }
  return derived;
}
