// Native OS notifications from the main process (Electron `Notification`). Critical results use
// critical urgency on Linux, never time out and play a sound (the platform default; a named sound on
// macOS); high-priority ones are silent. Clicking focuses the window on that alert. Shown notifications
// are kept referenced, per alert, until closed: their click handlers could otherwise be
// garbage-collected, and `withdraw` closes them once the alert is acknowledged (`withdrawGroup` one for
// several alerts once the last of them is).
import { Notification } from 'electron';
import type { AlertNotification, Notifier } from '../core/ports.ts';

export function createElectronNotifier(onClick: (alertId: string | null) => void): Notifier {
  // Each shown notification, by what withdraws it: its alert's id, or (for several alerts) its group id.
  const live = new Map<Notification, string | null>();
  const closeAll = (key: string) => {
    for (const [notification, shownFor] of [...live]) {
      if (shownFor !== key) continue;
      live.delete(notification);
      notification.close();
    }
  };
  return {
    async notify(n: AlertNotification) {
      if (!Notification.isSupported()) throw new Error('OS notifications are not supported on this system');
      const critical = n.tier === 'critical';
      const notification = new Notification({
        title: n.title,
        body: n.body,
        urgency: critical ? 'critical' : 'normal',
        timeoutType: critical ? 'never' : 'default',
        silent: !critical,
        ...(critical && process.platform === 'darwin' ? { sound: 'Sosumi' } : {}),
      });
      live.set(notification, n.alertId ?? n.groupId ?? null);
      notification.on('click', () => {
        live.delete(notification);
        onClick(n.alertId);
      });
      notification.on('close', () => live.delete(notification));
      notification.show();
    },
    async withdraw(alertId: string) {
      closeAll(alertId);
    },
    async withdrawGroup(groupId: string) {
      closeAll(groupId);
    },
  };
}
