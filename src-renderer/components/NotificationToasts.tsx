import type { HostEvent } from '../../src-main/shared/api.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';

/**
 * In the browser host the page raises the interruption itself: an in-app banner always, and the page's
 * Notification API when the user has granted permission.
 */
export function raisePageNotification(event: Extract<HostEvent, { type: 'notify' }>): void {
  uiActions.pushNotification({ alertId: event.alertId, title: event.title, body: event.body });
  if ('Notification' in window && Notification.permission === 'granted') {
    const notification = new Notification(event.title, {
      body: event.body,
      tag: event.alertId ?? undefined,
      requireInteraction: true,
    });
    notification.onclick = () => {
      window.focus();
      uiActions.selectAlert(event.alertId);
    };
  }
}

export function NotificationToasts() {
  const notifications = useUiStore((s) => s.notifications);
  const canAsk = 'Notification' in window && Notification.permission === 'default';
  return (
    <div className="toasts">
      {canAsk ? (
        <button
          type="button"
          className="ask-permission"
          onClick={() => void Notification.requestPermission()}
        >
          Allow desktop notifications for critical results
        </button>
      ) : null}
      <div role="alert" aria-live="assertive">
        {notifications.map((n) => (
          <div key={n.id} className="toast">
            <button
              type="button"
              className="toast-open"
              onClick={() => {
                uiActions.selectAlert(n.alertId);
                uiActions.dismissNotification(n.id);
              }}
            >
              <strong>{n.title}</strong>
              <span>{n.body}</span>
            </button>
            <button type="button" aria-label="Dismiss" onClick={() => uiActions.dismissNotification(n.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
