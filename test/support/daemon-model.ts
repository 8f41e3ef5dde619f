// Test double for an OS notification daemon (org.freedesktop.Notifications), for the closed-loop soak:
// what a host raised stays on screen until a host closes it, and a host can only close what it can
// name. While it runs, its own notifications by alert or group (the real D-Bus notifier keeps their ids
// in memory); after it restarted, those from before only by the ref `notify` returned
// (`withdrawEarlier`). A notification left on screen for a critical nobody needs to act on any more is
// what a nurse would find on the lock screen.
import type { AlertNotification } from '../../src-main/core/ports.ts';
import { recordingNotifier, type NotificationRecorder } from './workstations.ts';

export interface DaemonModel extends NotificationRecorder {
  /** The host restarted: what it raised before can now be closed only by its ref. */
  hostRestarted(): void;
  /** What is still on screen. */
  onScreen(): AlertNotification[];
}

interface Shown {
  run: number;
  notification: AlertNotification;
}

export function daemonModel(name: string): DaemonModel {
  const recorder = recordingNotifier();
  const shown = new Map<string, Shown>();
  let run = 0;
  let next = 0;
  const closeOwn = (matches: (n: AlertNotification) => boolean) => {
    for (const [ref, s] of shown) if (s.run === run && matches(s.notification)) shown.delete(ref);
  };
  return {
    ...recorder,
    notify: async (n) => {
      await recorder.notify(n);
      next += 1;
      const ref = `${name}-${next}`;
      shown.set(ref, { run, notification: n });
      return ref;
    },
    withdraw: async (alertId) => {
      await recorder.withdraw?.(alertId);
      closeOwn((n) => n.alertId === alertId);
    },
    withdrawGroup: async (groupId) => {
      await recorder.withdrawGroup?.(groupId);
      closeOwn((n) => n.groupId === groupId);
    },
    withdrawEarlier: async (earlier) => {
      await recorder.withdrawEarlier?.(earlier);
      for (const e of earlier) if (e.osRef) shown.delete(e.osRef);
    },
    hostRestarted: () => void (run += 1),
    onScreen: () => [...shown.values()].map((s) => s.notification),
  };
}
