// In the browser host the page raises the interruption (in-app banner, and the page's Notification API
// when permitted): the notifier pushes a `notify` event to it. On Linux with a session bus the host also
// raises the OS notification itself through org.freedesktop.Notifications (dbus-notifier.ts).
import type { HostEvent } from '../shared/api.ts';
import type { Logger } from '../core/log.ts';
import type { AlertNotification, Notifier } from '../core/ports.ts';

export function createBrowserNotifier(
  publish: (event: HostEvent) => void,
  os?: { notifier: Notifier; logger: Logger },
): Notifier {
  return {
    async notify(n: AlertNotification) {
      publish({ type: 'notify', alertId: n.alertId, title: n.title, body: n.body });
      // The page got it; an OS-notification failure is logged, not a failed delivery.
      if (os)
        await os.notifier
          .notify(n)
          .catch((error: unknown) => os.logger.warn({ err: String(error) }, 'D-Bus notification failed'));
    },
  };
}
