// A notification that covers several criticals (a storm's "12 critical results arrived together", an
// offline summary, an escalation or fail-safe notice for many) is taken back once every critical it
// covers has been acknowledged or resolved, here or on another workstation: a lock screen must not keep
// asking for results nobody needs to act on any more. While one of them is open it stays, because it is
// the only interruption that stands for that one.
//
// The hosts only raise and close (by `groupId`); which combined notification still stands for an open
// alert is decided here, once, for every host.
import type { AlertNotification, Notifier } from '../ports.ts';

/**
 * Combined notifications followed at most; past this the oldest is no longer followed and stays until
 * the user dismisses it. A ward sees a handful a day; the cap bounds a host nobody acknowledges on.
 */
export const MAX_FOLLOWED_GROUPS = 200;

/** Which combined notifications still cover an open alert. */
export class CombinedCoverage {
  private readonly open = new Map<string, Set<string>>();
  private readonly groupsOf = new Map<string, Set<string>>();
  private readonly limit: number;

  constructor(limit = MAX_FOLLOWED_GROUPS) {
    this.limit = limit;
  }

  /** Follow `groupId`, which covers `alertIds`. */
  follow(groupId: string, alertIds: readonly string[]): void {
    this.open.set(groupId, new Set(alertIds));
    for (const alertId of alertIds) {
      const groups = this.groupsOf.get(alertId) ?? new Set<string>();
      groups.add(groupId);
      this.groupsOf.set(alertId, groups);
    }
    while (this.open.size > this.limit) {
      const oldest = this.open.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
  }

  /** `alertId` is no longer open: the groups that now cover no open alert (no longer followed). */
  release(alertId: string): string[] {
    const groups = this.groupsOf.get(alertId);
    this.groupsOf.delete(alertId);
    const done: string[] = [];
    for (const groupId of groups ?? []) {
      const rest = this.open.get(groupId);
      rest?.delete(alertId);
      if (rest?.size === 0) {
        this.open.delete(groupId);
        done.push(groupId);
      }
    }
    return done;
  }

  /** Stop following `groupId` (its notification could not be raised, or too many are followed). */
  forget(groupId: string): void {
    for (const alertId of this.open.get(groupId) ?? []) {
      const groups = this.groupsOf.get(alertId);
      groups?.delete(groupId);
      if (groups?.size === 0) this.groupsOf.delete(alertId);
    }
    this.open.delete(groupId);
  }

  /** How many combined notifications are followed (for tests and the log). */
  get followed(): number {
    return this.open.size;
  }
}

/** A notification for several alerts, rather than for one. */
const isCombined = (n: AlertNotification): n is AlertNotification & { alertIds: string[] } =>
  n.alertId === null && (n.alertIds?.length ?? 0) > 0;

/**
 * `inner`, with every combined notification given a `groupId` and withdrawn (`withdrawGroup`) once the
 * last alert it covers is withdrawn. `inner.withdraw` is still called for every alert.
 */
export function withdrawingCombined(inner: Notifier, coverage = new CombinedCoverage()): Notifier {
  let next = 0;
  return {
    async notify(n) {
      if (!isCombined(n)) return inner.notify(n);
      const groupId = `group-${++next}`;
      coverage.follow(groupId, n.alertIds);
      try {
        await inner.notify({ ...n, groupId });
      } catch (error) {
        coverage.forget(groupId);
        throw error;
      }
    },
    async withdraw(alertId) {
      const done = coverage.release(alertId);
      // The alert's own notifications first, then every combined one that stood only for it (and
      // others already closed); a failure in one does not keep the others on screen.
      const closing = [inner.withdraw?.(alertId), ...done.map((groupId) => inner.withdrawGroup?.(groupId))];
      const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
