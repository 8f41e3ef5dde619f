import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';
import { useNow } from '../hooks/useNow.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';

/** A live subscription that has been silent this long is shown as degraded even before the host says so. */
const SILENCE_MS = 45_000;

/** Silence must never look like calm: a lost host link or a degraded stream is always on screen. */
export function HealthBanner() {
  const health = useQuery(queries.health());
  const session = useQuery(queries.session());
  const hostLink = useUiStore((s) => s.hostLink);
  const now = useNow(1000);
  const signedIn = session.data?.state === 'signed-in';
  const subs = health.data?.subscriptions ?? [];
  const silent = subs
    .filter((s) => s.connection === 'live')
    .map((s) => s.lastFrameAt ?? s.lastHeartbeatAt)
    .filter((t): t is string => t !== null)
    .map((t) => now - Date.parse(t))
    .filter((age) => age > SILENCE_MS);
  let message: string | null = null;
  if (hostLink === 'lost')
    message = 'Lost the connection to the monitor host — alerts are NOT being received. Reconnecting…';
  else if (health.data?.degraded) message = health.data.degraded;
  else if (silent.length > 0)
    message = `No heartbeat for ${Math.round(Math.max(...silent) / 1000)} s — reconnecting. Alerts may be delayed.`;
  const live = subs.filter((s) => s.connection === 'live').length;
  return (
    <div className="health">
      {message ? (
        <p className="health-degraded" role="alert">
          <span aria-hidden="true">⚠</span> <strong>Degraded:</strong> {message}{' '}
          <button type="button" className="link" onClick={() => uiActions.showView('health')}>
            Details
          </button>
        </p>
      ) : (
        <p className="health-ok" role="status">
          {live > 0
            ? `Live: ${live} subscription${live === 1 ? '' : 's'}`
            : signedIn
              ? 'Connecting…'
              : 'Not connected'}
        </p>
      )}
    </div>
  );
}
