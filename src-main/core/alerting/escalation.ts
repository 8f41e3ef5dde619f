// Escalation of unacknowledged critical alerts: a critical not
// acknowledged within `ackTimeoutMs` of arriving becomes 'escalated', is re-notified, and stays pinned;
// while it remains unacknowledged it is re-notified every `repeatMs` ("repeat until read"). The clock is
// injected so tests can drive time; `tick()` is the whole algorithm, `start()` only calls it on a timer.
import type { AlertSummary } from '../../shared/api.ts';
import type { AlertStore } from '../store/alert-store.ts';

export interface EscalationOptions {
  alerts: AlertStore;
  ackTimeoutMs: number;
  repeatMs: number;
  now?: () => number;
  /**
   * Called once per tick with every alert it escalated, updated (re-notify, push counts): a burst left
   * unacknowledged escalates together and is re-notified as one (alerting.ts).
   */
  onEscalated(escalated: readonly EscalatedAlert[]): Promise<void> | void;
  /**
   * True while an escalation policy still decides this alert's next step (escalation-chain.ts): this
   * screen's own re-notification waits until the policy's last step has been asked.
   */
  deferred?(alert: AlertSummary): boolean;
}

export interface EscalatedAlert {
  alert: AlertSummary;
  level: number;
}

export interface Escalation {
  /** Escalate everything due at `now`; returns the escalated alerts. */
  tick(): Promise<AlertSummary[]>;
  start(intervalMs?: number): void;
  stop(): void;
}

export function createEscalation(options: EscalationOptions): Escalation {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | null = null;
  let ticking = false;

  async function tick(): Promise<AlertSummary[]> {
    if (ticking) return [];
    ticking = true;
    const escalated: EscalatedAlert[] = [];
    try {
      const at = now();
      const window = { receivedBy: at - options.ackTimeoutMs, at, orChained: false };
      for (const alert of options.alerts.criticalsMaybeDue(window)) {
        if (options.deferred?.(alert)) continue;
        const due = alert.nextEscalationAt
          ? Date.parse(alert.nextEscalationAt)
          : Date.parse(alert.receivedAt) + options.ackTimeoutMs;
        if (Number.isNaN(due) || due > at) continue;
        const level = (alert.lifecycle?.escalationLevel ?? 0) + 1;
        const minutes = Math.round((at - Date.parse(alert.receivedAt)) / 60_000);
        const detail = `level ${level}: not acknowledged after ${minutes} min`;
        if (!options.alerts.escalate(alert.id, at + options.repeatMs, detail, at)) continue;
        const updated = options.alerts.get(alert.id);
        if (!updated) continue;
        escalated.push({ alert: updated, level });
      }
      if (escalated.length > 0) await options.onEscalated(escalated);
    } finally {
      ticking = false;
    }
    return escalated.map(({ alert }) => alert);
  }

  return {
    tick,
    start(intervalMs = 15_000) {
      if (timer) return;
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
