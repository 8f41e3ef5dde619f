// Raising one notification and saying how it went, for the audit rows of the alerts it is for. A
// failure is a short reason, never a throw: the alerts stay pinned and are never retried into a storm.
// Taking an alert's notifications back is the same kind of call: a failure is logged, never thrown.
import type { Logger } from '../log.ts';
import type { AlertNotification, Notifier } from '../ports.ts';

/** Why a notification could not be raised, short enough for an audit row. */
const notifyFailure = (error: unknown): string =>
  error instanceof Error ? error.message.slice(0, 200) : 'unknown';

/** Raise `notification`: null when the notifier took it, else why not. */
export async function raise(notifier: Notifier, notification: AlertNotification): Promise<string | null> {
  try {
    await notifier.notify(notification);
    return null;
  } catch (error) {
    return notifyFailure(error);
  }
}

/**
 * Take every notification raised for `alertId` back (acknowledged, resolved, or withdrawn at the
 * source); a failure is logged, not fatal. Hosts that cannot close a notification do nothing.
 */
export function withdrawQuietly(notifier: Notifier, logger: Logger, alertId: string): void {
  void notifier
    .withdraw?.(alertId)
    .catch((error: unknown) => logger.warn({ alertId, err: String(error) }, 'withdraw failed'));
}
