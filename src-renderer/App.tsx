import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { HostEvent } from '../src-main/shared/api.ts';
import { api, onHostLink, type HostLink } from './api/bridge.ts';
import { applyHostEvent, queries } from './api/queries.ts';
import { AlertDetail } from './components/AlertDetail.tsx';
import { CatchUpNotice } from './components/CatchUpNotice.tsx';
import { Feed } from './components/Feed.tsx';
import { HealthBanner } from './components/HealthBanner.tsx';
import { HealthPanel } from './components/HealthPanel.tsx';
import { LockedWardView } from './components/LockedWardView.tsx';
import { SettingsPanel } from './components/SettingsPanel.tsx';
import { LiveAnnouncer } from './components/LiveAnnouncer.tsx';
import { NotificationToasts, raisePageNotification } from './components/NotificationToasts.tsx';
import { OrderQueue } from './components/OrderQueue.tsx';
import { SessionBar } from './components/SessionBar.tsx';
import { ShortcutsHelp } from './components/ShortcutsHelp.tsx';
import { SignInPanel } from './components/SignInPanel.tsx';
import { WardBoard } from './components/WardBoard.tsx';
import { uiActions, useUiStore } from './state/ui-store.ts';

const announced = new Set<string>();

/** Announce each critical once, when it first arrives classified (not the initial list load). */
function announceCritical(event: HostEvent): void {
  if (event.type !== 'alert') return;
  const { alert } = event;
  if (alert.tier !== 'critical' || alert.state !== 'new' || announced.has(alert.id)) return;
  announced.add(alert.id);
  uiActions.announce(
    `New critical result: ${alert.headline}${alert.patient?.name ? `, ${alert.patient.name}` : ''}${alert.location ? `, ${alert.location}` : ''}`,
  );
}

export function App() {
  const client = useQueryClient();
  const session = useQuery(queries.session());
  const view = useUiStore((s) => s.view);
  const role = useUiStore((s) => s.role);
  const lastLink = useRef<HostLink>('connecting');

  useEffect(() => {
    const offLink = onHostLink((link) => {
      // After the host link comes back, refetch everything: pushes during the outage were missed.
      if (link === 'open' && lastLink.current === 'lost') void client.invalidateQueries();
      lastLink.current = link;
      uiActions.setHostLink(link);
    });
    const offEvents = api.onEvent((event) => {
      applyHostEvent(client, event);
      announceCritical(event);
      if (event.type === 'notify') raisePageNotification(event);
      if (event.type === 'focus-alert') uiActions.selectAlert(event.alertId);
    });
    return () => {
      offEvents();
      offLink();
    };
  }, [client]);

  const signedIn = session.data?.state === 'signed-in';
  const wardScreen = session.data?.workstation?.mode === 'ward';
  return (
    <div className="app">
      <SessionBar />
      <HealthBanner />
      <CatchUpNotice />
      <NotificationToasts />
      <LiveAnnouncer />
      <ShortcutsHelp />
      {!signedIn ? (
        // A ward workstation keeps watching the ward: what waits is on screen, without names.
        <main className={wardScreen ? 'signed-out ward' : 'signed-out'}>
          {wardScreen ? <LockedWardView /> : null}
          <SignInPanel />
        </main>
      ) : view === 'settings' ? (
        <main className="workspace single">
          <SettingsPanel />
        </main>
      ) : view === 'health' ? (
        <main className="workspace single">
          <HealthPanel />
        </main>
      ) : view === 'role' && role === 'pharmacist' ? (
        <main className="workspace single">
          <OrderQueue />
        </main>
      ) : view === 'role' ? (
        <main className="workspace board">
          <WardBoard />
          <Feed compact />
          <AlertDetail />
        </main>
      ) : (
        <main className="workspace">
          <Feed />
          <AlertDetail />
        </main>
      )}
    </div>
  );
}
