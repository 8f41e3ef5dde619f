// Re-notification of the criticals one escalation tick escalated (escalation.ts). Each is re-notified
// on its own, worded for whoever may read it, unless more than a handful escalated together (a burst
// nobody acknowledged): those are one notification that counts them, as their first delivery was
// (notification-text.ts, AT_ONCE_ONE_BY_ONE). Either way each alert's audit says it was re-notified,
// and each is pushed to the screen.
import type { AlertStore } from '../store/alert-store.ts';
import type { Notifier } from '../ports.ts';
import type { EscalatedAlert } from './escalation.ts';
import {
  AT_ONCE_ONE_BY_ONE,
  escalatedTogetherNotification,
  escalationNotification,
} from './notification-text.ts';

export interface RenotifyDeps {
  notifier: Notifier;
  alerts: Pick<AlertStore, 'audit'>;
  now(): number;
  /** Word this alert without value, name or bed (privacy mode, or not the signed-in user's). */
  withoutDetail(alertId: string): boolean;
  /** Push the alert's new state to whoever may see it. */
  publishAlert(alertId: string): void;
}

const reason = (error: unknown) => (error instanceof Error ? error.message.slice(0, 200) : 'unknown');

async function renotifyOne(deps: RenotifyDeps, { alert, level }: EscalatedAlert): Promise<void> {
  try {
    await deps.notifier.notify(escalationNotification(alert, level, deps.withoutDetail(alert.id)));
    deps.alerts.audit(alert.id, 'renotified', null, `escalation level ${level}`, deps.now());
  } catch (error) {
    deps.alerts.audit(alert.id, 'notify-failed', null, reason(error), deps.now());
  }
}

async function renotifyTogether(deps: RenotifyDeps, escalated: readonly EscalatedAlert[]): Promise<void> {
  const ids = escalated.map(({ alert }) => alert.id);
  const outcome = await deps.notifier.notify(escalatedTogetherNotification(ids)).then(
    () => null,
    (error: unknown) => reason(error),
  );
  const at = deps.now();
  for (const { alert, level } of escalated) {
    if (outcome === null)
      deps.alerts.audit(
        alert.id,
        'renotified',
        null,
        `escalation level ${level}, with ${ids.length - 1} others`,
        at,
      );
    else deps.alerts.audit(alert.id, 'notify-failed', null, outcome, at);
  }
}

export async function renotifyEscalated(
  deps: RenotifyDeps,
  escalated: readonly EscalatedAlert[],
): Promise<void> {
  if (escalated.length > AT_ONCE_ONE_BY_ONE) await renotifyTogether(deps, escalated);
  else for (const one of escalated) await renotifyOne(deps, one);
  for (const { alert } of escalated) deps.publishAlert(alert.id);
}
