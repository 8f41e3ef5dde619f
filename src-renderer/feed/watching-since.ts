// A subscription delivers nothing written before it existed: a nurse signing in here for the first
// time sees no earlier results but the open criticals the host read back (src-main/core/monitor/
// read-back.ts), however many results her ward had. A calm, empty feed would read as "nothing
// critical"; so while the newest of this workstation's subscriptions is recent, the feed says since
// when it has been watching, and how far back the open criticals were read.
import type { HealthSnapshot } from '../../src-main/shared/api.ts';

/** How long after a subscription began the feed keeps saying so (beyond a shift, earlier is history). */
export const WATCH_NOTICE_MS = 24 * 60 * 60_000;

/** The newest subscription's start when it is recent enough to mention; null otherwise. */
export function recentWatchStart(health: HealthSnapshot | undefined, now: number): string | null {
  let newest: number | null = null;
  for (const s of health?.subscriptions ?? []) {
    const at = s.watchingSince ? Date.parse(s.watchingSince) : NaN;
    if (!Number.isNaN(at) && (newest === null || at > newest)) newest = at;
  }
  return newest !== null && now - newest < WATCH_NOTICE_MS ? new Date(newest).toISOString() : null;
}

/** How far back a first watch read the open criticals (the earliest, when several did); null: none. */
export function readBackStart(health: HealthSnapshot | undefined): string | null {
  let earliest: number | null = null;
  for (const s of health?.subscriptions ?? []) {
    const at = s.readBackFrom ? Date.parse(s.readBackFrom) : NaN;
    if (!Number.isNaN(at) && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest !== null ? new Date(earliest).toISOString() : null;
}
