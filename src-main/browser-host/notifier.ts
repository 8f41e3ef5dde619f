// In the browser host the page always shows the in-page toast for an interrupting alert: the notifier
// pushes a `notify` event to it. Exactly one OS notification is raised per alert, whatever the page's
// notification permission: on Linux with a session bus the host raises it through
// org.freedesktop.Notifications (dbus-notifier.ts) and says so (`osRaised`); otherwise, or when that
// fails, the page's Notification API is the one owner. Acknowledging takes both back (`withdraw`; a
// notification for several alerts once the last of them is acknowledged: `withdrawGroup`; one raised
// before the host restarted: `withdrawEarlier`).
import type { HostEvent } from '../shared/api.ts';
import type { Logger } from '../core/log.ts';
import type { AlertNotification, Notifier } from '../core/ports.ts';

export function createBrowserNotifier(
  publish: (event: HostEvent) => void,
  os?: { notifier: Notifier; logger: Logger },
): Notifier {
  return {
    async notify(n: AlertNotification) {
      // An OS-notification failure is logged, not a failed delivery: the page then raises its own.
      const raised = os
        ? await os.notifier.notify(n).then(
            (osRef) => ({ osRef }),
            (error: unknown) => {
              os.logger.warn({ err: String(error) }, 'D-Bus notification failed');
              return null;
            },
          )
        : null;
      const osRaised = raised !== null;
      // Raised, but the daemon could not be told (its name unreadable, or it changed during the raise):
      // withdrawn as usual in this run, but a restart before then would leave it up. Said, not silent.
      if (os && raised && raised.osRef === undefined && os.notifier.withdrawEarlier)
        os.logger.warn(
          { alertId: n.alertId, groupId: n.groupId ?? null },
          'OS notification raised without a ref: a host restart before it is withdrawn leaves it on the desktop',
        );
      publish({
        type: 'notify',
        alertId: n.alertId,
        ...(n.groupId ? { groupId: n.groupId } : {}),
        title: n.title,
        body: n.body,
        ...(n.lead ? { lead: n.lead } : {}),
        ...(n.inAppBody ? { inAppBody: n.inAppBody } : {}),
        ...(osRaised ? { osRaised: true } : {}),
      });
      return raised?.osRef;
    },
    async withdraw(alertId: string) {
      publish({ type: 'withdraw-notification', alertId });
      await os?.notifier.withdraw?.(alertId);
    },
    async withdrawGroup(groupId: string) {
      publish({ type: 'withdraw-group-notification', groupId });
      await os?.notifier.withdrawGroup?.(groupId);
    },
    async withdrawEarlier(notifications) {
      // A page that stayed open across the host's restart still shows its own for these groups. (An
      // alert's own went with `withdraw` already.)
      for (const n of notifications)
        if (n.kind === 'group') publish({ type: 'withdraw-group-notification', groupId: n.key });
      await os?.notifier.withdrawEarlier?.(notifications);
    },
  };
}
