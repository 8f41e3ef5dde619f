import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, onHostLink } from './api/bridge.ts';
import { applyHostEvent, queries } from './api/queries.ts';
import { AlertDetail } from './components/AlertDetail.tsx';
import { Feed } from './components/Feed.tsx';
import { HealthBanner } from './components/HealthBanner.tsx';
import { NotificationToasts, raisePageNotification } from './components/NotificationToasts.tsx';
import { SessionBar } from './components/SessionBar.tsx';
import { uiActions } from './state/ui-store.ts';

export function App() {
  const client = useQueryClient();
  const session = useQuery(queries.session());

  useEffect(() => {
    const offLink = onHostLink(uiActions.setHostLink);
    const offEvents = api.onEvent((event) => {
      applyHostEvent(client, event);
      if (event.type === 'notify') raisePageNotification(event);
    });
    return () => {
      offEvents();
      offLink();
    };
  }, [client]);

  const signedIn = session.data?.state === 'signed-in';
  return (
    <div className="app">
      <SessionBar />
      <HealthBanner />
      <NotificationToasts />
      {signedIn ? (
        <main className="workspace">
          <Feed />
          <AlertDetail />
        </main>
      ) : (
        <main className="signed-out">
          <p>{session.data?.reason ?? 'Sign in to receive alerts.'}</p>
        </main>
      )}
    </div>
  );
}
