// What several parts of the screen derive from the alert list (the counts, the open criticals, the
// shared names), computed once per list: each push creates a new list, and the header, the feed, the
// critical list, the audible cue and the detail all read the same result instead of each scanning a
// 100,000-row list again. A list made by one push (feed-model.ts upsertAlert) is derived from its
// predecessor's result and the one row that changed, so a push costs the same with 100 alerts or
// 100,000: counts by the row's difference, the open criticals by one removal and one insertion.
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { actionCounts, changeOf, countAlert, isOpen, newestFirst, type ActionCounts } from './feed-model.ts';
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
    const change = changeOf(key);
    const before = change ? cache.get(change.previous) : undefined;
    derived = change && before ? followChange(key, before, change.removed, change.added) : fromScratch(key);
    cache.set(key, derived);
  }
  return derived;
}

function fromScratch(list: readonly AlertSummary[]): Derived {
  return {
    counts: actionCounts(list),
    openCriticals: openCriticals(list),
    sameNames: sameNameReferences(list.slice(0, SAME_NAME_SCAN).map((a) => a.patient)),
  };
}

const isOpenCritical = (a: AlertSummary): boolean => a.tier === 'critical' && isOpen(a);

/** The same patient as far as names go: same-name detection cannot change when this holds. */
function sameIdentity(a: AlertSummary | null, b: AlertSummary): boolean {
  const p = a?.patient;
  const q = b.patient;
  return (
    p?.reference === q?.reference && p?.name === q?.name && p?.mrn === q?.mrn && p?.birthDate === q?.birthDate
  );
}

/** `before` (the predecessor's) changed by one row: `removed` replaced by `added`. */
function followChange(
  list: readonly AlertSummary[],
  before: Derived,
  removed: AlertSummary | null,
  added: AlertSummary,
): Derived {
  const counts = { ...before.counts };
  if (removed) countAlert(counts, removed, -1);
  countAlert(counts, added, 1);
  let criticals = before.openCriticals;
  if ((removed && isOpenCritical(removed)) || isOpenCritical(added)) {
    criticals = removed ? criticals.filter((a) => a.id !== removed.id) : criticals.slice();
    if (isOpenCritical(added)) {
      let at = 0;
      while (at < criticals.length && newestFirst(criticals[at] as AlertSummary, added) < 0) at += 1;
      criticals.splice(at, 0, added);
    }
  }
  // A row replaced in place about the same patient leaves the newest names as they were; a new row
  // shifts the bounded window, which is scanned again (bounded: not the list's length).
  const sameNames =
    removed && sameIdentity(removed, added)
      ? before.sameNames
      : sameNameReferences(list.slice(0, SAME_NAME_SCAN).map((a) => a.patient));
  return { counts, openCriticals: criticals, sameNames };
}
