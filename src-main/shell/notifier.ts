// Native OS notifications from the main process (Electron `Notification`). Critical results use
// critical urgency on Linux and never time out; clicking focuses the window on that alert.
import { Notification } from 'electron';
import type { AlertNotification, Notifier } from '../core/monitor/monitor.ts';

export function createElectronNotifier(onClick: (alertId: string | null) => void): Notifier {
  return {
    async notify(n: AlertNotification) {
      if (!Notification.isSupported()) throw new Error('OS notifications are not supported on this system');
      const notification = new Notification({
        title: n.title,
        body: n.body,
        urgency: n.tier === 'critical' ? 'critical' : 'normal',
        timeoutType: n.tier === 'critical' ? 'never' : 'default',
        silent: false,
      });
      notification.on('click', () => onClick(n.alertId));
      notification.show();
    },
  };
}
