import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';
import { AskPermission } from './NotificationToasts.tsx';
import { explainReason } from '../state/servers.ts';
import { useNow } from '../hooks/useNow.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';

/** A live subscription that has been silent this long is shown as degraded even before the host says so. */
const SILENCE_MS = 45_000;

const NOT_RECEIVING = 'alerts are NOT being received';

/**
 * Silence must never look like calm: whenever alerts are not arriving — the host lost or refusing this
 * page, signed out (also after a cancelled sign-in; a ward workstation whose ward watch is live is
 * still receiving), signing in, a degraded or silent stream — the banner is red and says so. Only live
 * subscriptions are green.
 */
export function HealthBanner() {
  const health = useQuery(queries.health());
  const session = useQuery(queries.session());
  const hostLink = useUiStore((s) => s.hostLink);
  const now = useNow(1000);
  const state = session.data?.state;
  const subs = health.data?.subscriptions ?? [];
  const silent = subs
    .filter((s) => s.connection === 'live')
    .map((s) => s.lastFrameAt ?? s.lastHeartbeatAt)
    .filter((t): t is string => t !== null)
    .map((t) => now - Date.parse(t))
    .filter((age) => age > SILENCE_MS);
  const live = subs.filter((s) => s.connection === 'live').length;
  // A ward workstation keeps its ward identity's subscriptions when nobody is signed in: still receiving.
  const wardWatching = session.data?.workstation?.mode === 'ward' && live > 0;
  let message: string | null = null;
  let label = 'Not receiving alerts';
  if (hostLink === 'lost')
    message = `Lost the connection to the monitor host — ${NOT_RECEIVING}. Reconnecting…`;
  else if (hostLink === 'refused')
    message = `The monitor host does not accept this page (a host on another data directory, or this page's session ended after 12 hours unused) — ${NOT_RECEIVING}. Open launch.html in the monitor's data directory for a new link; retrying by itself meanwhile.`;
  else if (hostLink === 'connecting') message = `Connecting to the monitor host — ${NOT_RECEIVING} yet.`;
  else if (state === 'signing-in') message = `Signing in — ${NOT_RECEIVING} until the sign-in is complete.`;
  else if (state !== 'signed-in' && !wardWatching)
    message = session.data?.reason
      ? `Signed out (${explainReason(session.data.reason)}) — ${NOT_RECEIVING}.`
      : `Signed out — ${NOT_RECEIVING}. Sign in to receive them.`;
  else if (health.data?.degraded) {
    label = 'Degraded';
    message = health.data.degraded;
  } else if (silent.length > 0) {
    label = 'Degraded';
    message = `No heartbeat for ${Math.round(Math.max(...silent) / 1000)} s — reconnecting. Alerts may be delayed.`;
  }
  return (
    <div className="health">
      {message ? (
        <p className="health-degraded" role="alert">
          <span aria-hidden="true">⚠</span> <strong>{label}:</strong> {message}{' '}
          {state === 'signed-in' ? (
            <button type="button" className="link" onClick={() => uiActions.showView('health')}>
              Details
            </button>
          ) : null}
        </p>
      ) : (
        <div className={live > 0 ? 'health-ok' : 'health-pending'}>
          <p role="status">
            {live > 0
              ? `Live: ${live} subscription${live === 1 ? '' : 's'}${state === 'signed-in' ? '' : ' (ward watch)'}`
              : 'Connecting the subscriptions…'}
          </p>
          <AskPermission />
        </div>
      )}
    </div>
  );
}
