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
import { raise } from './raise.ts';

export interface RenotifyDeps {
  notifier: Notifier;
  alerts: Pick<AlertStore, 'audit'>;
  now(): number;
  /** Word this alert without value, name or bed (privacy mode, or not the signed-in user's). */
  withoutDetail(alertId: string): boolean;
  /** Push the alert's new state to whoever may see it. */
  publishAlert(alertId: string): void;
}

async function renotifyOne(deps: RenotifyDeps, { alert, level }: EscalatedAlert): Promise<void> {
  const notification = escalationNotification(alert, level, deps.withoutDetail(alert.id));
  const failed = await raise(deps.notifier, notification);
  if (failed === null)
    deps.alerts.audit(alert.id, 'renotified', null, `escalation level ${level}`, deps.now());
  else deps.alerts.audit(alert.id, 'notify-failed', null, failed, deps.now());
}

async function renotifyTogether(deps: RenotifyDeps, escalated: readonly EscalatedAlert[]): Promise<void> {
  const ids = escalated.map(({ alert }) => alert.id);
  const failed = await raise(deps.notifier, escalatedTogetherNotification(ids));
  const at = deps.now();
  for (const { alert, level } of escalated) {
    const others = `escalation level ${level}, with ${ids.length - 1} others`;
    if (failed === null) deps.alerts.audit(alert.id, 'renotified', null, others, at);
    else deps.alerts.audit(alert.id, 'notify-failed', null, failed, at);
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
