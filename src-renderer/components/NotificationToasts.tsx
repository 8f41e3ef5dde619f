// In-page notifications for interrupting alerts, and the page's share of the OS notification.
//
// The toasts sit in the page's flow under the banner (they never cover the feed or the detail), name the
// patient with the MRN and the bed (inside the app, where names are shown anyway, privacy mode does not
// blank them), and go away when their alert is opened or acknowledged.
//
// Exactly one OS notification per alert: when the host raised it (D-Bus; Electron raises its own and
// sends no `notify`), the page raises none; otherwise the page's Notification API is the one owner,
// with the host's wording (privacy mode applied), and it is closed when the alert is acknowledged (one
// for several alerts when the last of them is).
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { AlertSummary, HostEvent } from '../../src-main/shared/api.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { queries } from '../api/queries.ts';
import { findAlert } from '../feed/feed-model.ts';
import { identityText } from '../feed/identity.ts';
import { useMediaQuery } from '../hooks/useMediaQuery.ts';
import { uiActions, useUiStore, type InPageNotification } from '../state/ui-store.ts';

/** The window height below which one toast shows at a time (as in styles/layout.css). */
const SHORT_WINDOW = '(max-height: 800px)';
/** Large type scales every rem by 1.5: a window this high holds what an 800 px one does at normal size. */
const SHORT_FOR_LARGE_TYPE = '(max-height: 1200px)';

/** Page notifications still showing, by alert (or, for one covering several, by group), so they can be closed. */
const shown = new Map<string, Notification>();

export function raisePageNotification(event: Extract<HostEvent, { type: 'notify' }>): void {
  uiActions.pushNotification({
    alertId: event.alertId,
    ...(event.groupId ? { groupId: event.groupId } : {}),
    title: event.title,
    body: event.body,
    ...(event.lead ? { lead: event.lead } : {}),
    ...(event.inAppBody ? { inAppBody: event.inAppBody } : {}),
  });
  if (event.osRaised || !('Notification' in window) || Notification.permission !== 'granted') return;
  const key = event.alertId ?? event.groupId ?? null;
  const notification = new Notification(event.title, {
    body: event.body,
    tag: key ?? undefined,
    requireInteraction: true,
  });
  if (key) {
    shown.get(key)?.close();
    shown.set(key, notification);
    notification.onclose = () => {
      if (shown.get(key) === notification) shown.delete(key);
    };
  }
  notification.onclick = () => {
    window.focus();
    uiActions.selectAlert(event.alertId);
  };
}

function closeShown(key: string): void {
  shown.get(key)?.close();
  shown.delete(key);
}

/** The alert was acknowledged or resolved: its OS notification and its toast go. */
export function withdrawPageNotification(alertId: string): void {
  closeShown(alertId);
  uiActions.dismissNotificationsFor(alertId);
}

/** None of the alerts a notification for several covered is open any more: it and its toast go. */
export function withdrawPageGroupNotification(groupId: string): void {
  closeShown(groupId);
  uiActions.dismissGroupNotification(groupId);
}

interface ToastProps {
  n: InPageNotification;
  alert: AlertSummary | undefined;
  signedIn: boolean;
}

function Toast({ n, alert, signedIn }: ToastProps) {
  // What the host says it is (a new critical, a step asked of her, nobody having taken it), with the
  // result named in full: inside the app privacy mode does not blank it.
  const lead = n.lead ?? (alert?.tier === 'critical' ? 'CRITICAL' : 'High priority');
  const title = alert ? `${lead}: ${readableUnits(alert.headline)}` : n.title;
  // Signed out (a ward screen's watch), the OS wording's "Open Alert Monitor to …" would send her to
  // the app she is looking at: here the way to the details is to sign in.
  const body = alert
    ? [identityText(alert.patient), alert.location].filter(Boolean).join(' · ')
    : signedIn
      ? (n.inAppBody ?? n.body)
      : 'Sign in to review.';
  return (
    <div className={`toast toast-${alert?.tier ?? 'critical'}`}>
      <button
        type="button"
        className="toast-open"
        onClick={() => {
          uiActions.selectAlert(n.alertId);
          uiActions.dismissNotification(n.id);
        }}
      >
        <strong>{title}</strong>
        <span>{body}</span>
      </button>
      <button
        type="button"
        aria-label={`Dismiss: ${title}`}
        onClick={() => uiActions.dismissNotification(n.id)}
      >
        ×
      </button>
    </div>
  );
}

export function NotificationToasts() {
  const notifications = useUiStore((s) => s.notifications);
  const alerts = useQuery(queries.alerts());
  // One toast at a time on a short window (the rest counted, never covering the lists); two otherwise.
  const largeType = useUiStore((s) => s.largeType);
  const shortWindow = useMediaQuery(SHORT_WINDOW);
  const shortForLargeType = useMediaQuery(SHORT_FOR_LARGE_TYPE);
  const short = shortWindow || (largeType && shortForLargeType);
  const visible = notifications.slice(short ? -1 : -2);
  const session = useQuery(queries.session());
  const signedIn = session.data?.state === 'signed-in';
  const alertOf = (id: string | null) => findAlert(alerts.data, id) ?? undefined;
  return (
    <div className="toasts">
      <div role="alert" aria-live="assertive" className="toast-list">
        {visible.map((n) => (
          <Toast key={n.id} n={n} alert={alertOf(n.alertId)} signedIn={signedIn} />
        ))}
        {notifications.length > visible.length ? (
          <span className="toast-more muted">and {notifications.length - visible.length} more</span>
        ) : null}
      </div>
    </div>
  );
}

/** The page asks for permission only when it would be the one raising OS notifications. */
export function AskPermission() {
  const host = useQuery(queries.hostInfo());
  const [asked, setAsked] = useState(false);
  const canAsk =
    !asked &&
    host.data?.osNotifications === false &&
    'Notification' in window &&
    Notification.permission === 'default';
  if (!canAsk) return null;
  return (
    <button
      type="button"
      className="ask-permission"
      onClick={() => void Notification.requestPermission().finally(() => setAsked(true))}
    >
      Allow desktop notifications for critical results
    </button>
  );
}
