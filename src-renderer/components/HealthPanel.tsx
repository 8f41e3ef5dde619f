import { useQuery } from '@tanstack/react-query';
import type { SubscriptionHealth } from '../../src-main/shared/api.ts';
import { queries } from '../api/queries.ts';
import { useNow } from '../hooks/useNow.ts';

export function ageText(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function countdownText(iso: string | null, now: number): string {
  if (!iso) return 'unknown';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'expired';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);

function Row({ h, now }: { h: SubscriptionHealth; now: number }) {
  const topic = h.topic.split('/').pop() ?? h.topic;
  return (
    <tr>
      <th scope="row">{topic}</th>
      <td>{h.channel.toUpperCase()}</td>
      <td>
        <span className={`conn conn-${h.connection}`}>
          <span aria-hidden="true">{h.connection === 'live' ? '●' : '▲'}</span> {h.connection}
        </span>
      </td>
      <td>{h.subscriptionStatus ?? '—'}</td>
      <td data-testid="heartbeat-age">{ageText(h.lastHeartbeatAt, now)}</td>
      <td>{h.lastEventNumber ?? '—'}</td>
      <td>{h.eventsSinceSubscriptionStart ?? '—'}</td>
      <td>
        {h.gapsDetected} / {h.gapsRecovered}
      </td>
      <td>{h.duplicatesDropped}</td>
      <td>{h.reconnects}</td>
      <td>{h.channelErrors}</td>
      <td>
        {ms(h.latencyMs.p50)} / {ms(h.latencyMs.p99)}
      </td>
      <td>{countdownText(h.tokenExpiresAt, now)}</td>
      <td className="last-error">{h.lastError ?? ''}</td>
    </tr>
  );
}

export function HealthPanel() {
  const health = useQuery(queries.health());
  const session = useQuery(queries.session());
  const now = useNow(1000);
  const subs = health.data?.subscriptions ?? [];
  return (
    <section className="health-panel" aria-labelledby="health-title">
      <h2 id="health-title">Subscription health</h2>
      <p>
        Snapshot {health.data ? ageText(health.data.at, now) : '—'} · session token expires in{' '}
        <span data-testid="token-countdown">{countdownText(session.data?.tokenExpiresAt ?? null, now)}</span>
      </p>
      {subs.length === 0 ? (
        <p className="empty">
          No subscriptions yet{session.data?.state === 'signed-in' ? ' — connecting.' : '.'}
        </p>
      ) : (
        // Focusable, so the table can be scrolled sideways from the keyboard on a narrow window.
        <div className="table-scroll" role="region" aria-label="Subscription health table" tabIndex={0}>
          <table className="health-table">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Channel</th>
                <th scope="col">Connection</th>
                <th scope="col">Server status</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Event no.</th>
                <th scope="col">Events since start</th>
                <th scope="col">Gaps found / recovered</th>
                <th scope="col">Duplicates dropped</th>
                <th scope="col">Reconnects</th>
                <th scope="col">Channel errors</th>
                <th scope="col">Latency p50 / p99</th>
                <th scope="col">Token expires in</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {subs.map((h) => (
                <Row key={h.subscriptionKey} h={h} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
