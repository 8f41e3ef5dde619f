import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';
import { useUiStore } from '../state/ui-store.ts';

/** Silence must never look like calm: a lost host link or a degraded stream is always on screen. */
export function HealthBanner() {
  const health = useQuery(queries.health());
  const hostLink = useUiStore((s) => s.hostLink);
  const message =
    hostLink === 'lost'
      ? 'Lost the connection to the monitor host — alerts are NOT being received.'
      : (health.data?.degraded ?? null);
  const live = health.data?.subscriptions.filter((s) => s.connection === 'live').length ?? 0;
  return (
    <div className="health">
      {message ? (
        <p className="health-degraded" role="alert">
          <span aria-hidden="true">⚠</span> {message}
        </p>
      ) : (
        <p className="health-ok" role="status">
          {live > 0 ? `Live: ${live} subscription${live === 1 ? '' : 's'}` : 'Not connected'}
        </p>
      )}
    </div>
  );
}
