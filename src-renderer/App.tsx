import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { HostEvent } from '../src-main/shared/api.ts';
import { api, onHostLink, type HostLink } from './api/bridge.ts';
import { burstSentence, criticalsOnPage } from './api/burst-announcer.ts';
import { applyHostEvent, queries } from './api/queries.ts';
import { AlertDetail } from './components/AlertDetail.tsx';
import { AudibleCue } from './components/AudibleCue.tsx';
import { CatchUpNotice } from './components/CatchUpNotice.tsx';
import { Feed } from './components/Feed.tsx';
import { HealthBanner } from './components/HealthBanner.tsx';
import { HealthPanel } from './components/HealthPanel.tsx';
import { LockedWardView } from './components/LockedWardView.tsx';
import { LiveAnnouncer } from './components/LiveAnnouncer.tsx';
import {
  NotificationToasts,
  raisePageNotification,
  withdrawPageGroupNotification,
  withdrawPageNotification,
} from './components/NotificationToasts.tsx';
import { SessionBar } from './components/SessionBar.tsx';
import { SettingsPanel } from './components/SettingsPanel.tsx';
import { ShortcutsHelp } from './components/ShortcutsHelp.tsx';
import { SignInPanel } from './components/SignInPanel.tsx';
import { WardBoard } from './components/WardBoard.tsx';
import { Worklist } from './components/Worklist.tsx';
import { announcementWindow } from './feed/announcement-window.ts';
import type { Announced } from './feed/announcements.ts';
import { settleRemembered } from './state/servers.ts';
import { uiActions, useUiStore } from './state/ui-store.ts';

const announced: Announced = new Set<string>();
/** Pushed criticals, spoken together a quarter of a second after the first (feed/announcement-window.ts). */
const pushedCriticals = announcementWindow((text) => uiActions.announce(text), announced);

/** Announce each critical once, when it first arrives classified (not the initial list load). */
function announceCritical(event: HostEvent): void {
  if (event.type === 'alert') pushedCriticals.push(event.alert);
  // Signed out: nothing gathered is spoken to the next person at the screen.
  if (event.type === 'session' && event.session.state !== 'signed-in') pushedCriticals.clear();
}

/** Pushed events: the cache, the announcer, notifications raised and withdrawn, notification clicks. */
function useHostEvents(): void {
  const client = useQueryClient();
  // Whether the link was lost or refused since it was last open (reconnecting passes 'connecting').
  const downSinceOpen = useRef(false);
  useEffect(() => {
    const offLink = onHostLink((link: HostLink) => {
      if (link === 'lost' || link === 'refused') downSinceOpen.current = true;
      // Back after an outage (or a host restart): pushes were missed, so refetch everything.
      if (link === 'open' && downSinceOpen.current) {
        downSinceOpen.current = false;
        void client.invalidateQueries();
      }
      uiActions.setHostLink(link);
    });
    const offEvents = api.onEvent((event) => {
      const criticalsBefore = event.type === 'feed-changed' ? criticalsOnPage(client) : null;
      applyHostEvent(client, event);
      announceCritical(event);
      // A burst is announced once the feed has been read again, in one sentence.
      if (criticalsBefore)
        void burstSentence(client, criticalsBefore, announced).then(
          (text) => text && uiActions.announce(text),
        );
      if (event.type === 'notify') raisePageNotification(event);
      if (event.type === 'withdraw-notification') withdrawPageNotification(event.alertId);
      if (event.type === 'withdraw-group-notification') withdrawPageGroupNotification(event.groupId);
      if (event.type === 'focus-alert') uiActions.selectAlert(event.alertId);
    });
    return () => {
      offEvents();
      offLink();
    };
  }, [client]);
}

export function App() {
  const session = useQuery(queries.session());
  const view = useUiStore((s) => s.view);
  // The role is the signed-in identity's (SessionInfo.role), never a local choice.
  const role = session.data?.role ?? null;
  const largeType = useUiStore((s) => s.largeType);
  useHostEvents();

  // Large type scales every rem on the page, not only this subtree.
  useEffect(() => {
    document.documentElement.classList.toggle('large-type', largeType);
  }, [largeType]);
  // A server typed on the sign-in form is remembered once signed in to it, never after a failure.
  useEffect(() => {
    if (session.data) settleRemembered(session.data);
  }, [session.data]);

  const signedIn = session.data?.state === 'signed-in';
  const wardScreen = session.data?.workstation?.mode === 'ward';
  return (
    <div className="app">
      <SessionBar />
      <HealthBanner />
      <CatchUpNotice />
      <AudibleCue />
      <NotificationToasts />
      <LiveAnnouncer />
      <ShortcutsHelp worklist={view === 'role' && role === 'pharmacist'} />
      {session.isPending ? (
        // Until the host says who is signed in, neither the sign-in form nor the feed is shown: a signed-in
        // workstation must not flash a sign-in form that a click could land on.
        <main className="signed-out">
          <p role="status">Asking the monitor host who is signed in…</p>
        </main>
      ) : !signedIn ? (
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
          <Worklist />
        </main>
      ) : view === 'role' && role === 'nurse' ? (
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
