// The ward screen while nobody is signed in: "critical waiting — Ward A bed 7 — 4 min". Built from the
// ward's open alerts with only what may show on a shared screen: tier, bed and time. No patient name,
// no value, no headline ever enters this view, so no renderer mistake can show one.
import type { LockedWardAlert, LockedWardView } from '../../shared/api.ts';
import type { AlertStore } from '../store/alert-store.ts';

/** At most this many rows: a ward board, not an archive. */
const MAX_LOCKED_ALERTS = 60;

export function lockedWardView(
  alerts: AlertStore,
  wardOwner: string,
  ward: string,
  degraded: string | null,
  now = Date.now(),
): LockedWardView {
  const rows: LockedWardAlert[] = alerts.openFor(wardOwner, MAX_LOCKED_ALERTS).map((alert) => ({
    id: alert.id,
    tier: alert.tier === 'critical' ? 'critical' : 'high',
    bed: alert.location,
    waitingSince: alert.receivedAt,
    escalationLevel: alert.lifecycle?.escalationLevel ?? 0,
  }));
  return { ward, alerts: rows, degraded, at: new Date(now).toISOString() };
}
