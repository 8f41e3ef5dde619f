// In the browser host the page raises the interruption (in-app banner, and the page's Notification API
// when permitted): the notifier pushes a `notify` event to it.
import type { HostEvent } from '../shared/api.ts';
import type { AlertNotification, Notifier } from '../core/monitor/monitor.ts';

export function createBrowserNotifier(publish: (event: HostEvent) => void): Notifier {
  return {
    async notify(n: AlertNotification) {
      publish({ type: 'notify', alertId: n.alertId, title: n.title, body: n.body });
    },
  };
}
