import { useQuery } from '@tanstack/react-query';
import type { LockedWardAlert } from '../../src-main/shared/api.ts';
import { queries } from '../api/queries.ts';
import { wardName } from '../format/ward.ts';
import { useNow } from '../hooks/useNow.ts';
import { TierBadge } from './TierBadge.tsx';

/** "▲ Critical waiting — Ward A bed 7 — 4 min": tier, bed and time only, as the host sends them. */
function WaitingAlert({ alert, now }: { alert: LockedWardAlert; now: number }) {
  const minutes = Math.max(0, Math.floor((now - Date.parse(alert.waitingSince)) / 60_000));
  return (
    <li className={`locked-alert locked-${alert.tier}`}>
      <TierBadge tier={alert.tier} /> waiting — {alert.bed ?? 'bed not known'} — {minutes} min
      {alert.escalationLevel > 0 ? <strong> — escalated ({alert.escalationLevel})</strong> : null}
    </li>
  );
}

/**
 * The ward screen while nobody is signed in (ward workstation): what is waiting and for how long, never
 * a name or a value (the host sends neither); a ward that is not being watched is shown in red.
 */
export function LockedWardView() {
  const locked = useQuery(queries.lockedWard());
  const now = useNow(15_000);
  const view = locked.data;
  if (!view) return null;
  const waiting = view.alerts;
  return (
    <section className="locked-ward" aria-labelledby="locked-ward-title">
      <h2 id="locked-ward-title">{wardName(view.ward)}</h2>
      {view.degraded ? (
        <p className="locked-degraded" role="alert">
          <span aria-hidden="true">⚠</span> <strong>Not watching:</strong> {view.degraded}
        </p>
      ) : (
        <p className="locked-watching" role="status">
          Watching {wardName(view.ward)}. Sign in to see details and act.
        </p>
      )}
      {waiting.length === 0 ? (
        <p>No critical or high-priority result is waiting.</p>
      ) : (
        <ul className="locked-alerts" aria-label="Waiting for a clinician">
          {waiting.map((alert) => (
            <WaitingAlert key={alert.id} alert={alert} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}
