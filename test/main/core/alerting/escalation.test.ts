// The escalation tick (src-main/core/alerting/escalation.ts) against a real client store: what it
// escalates, and what it reads to find out. After a catch-up the store holds thousands of open criticals
// that arrived a moment ago; the tick ran every 15 s and read and converted every one of them only to
// find none due. It reads only those that may be due, and still escalates every one that is.
import { afterEach, describe, expect, it } from 'vitest';
import { createEscalation } from '../../../../src-main/core/alerting/escalation.ts';
import type { AlertStore } from '../../../../src-main/core/store/alert-store.ts';
import type { ClientStore } from '../../../../src-main/core/store/client-store.ts';
import type { AlertSummary } from '../../../../src-main/shared/api.ts';
import { storeWithAlerts } from '../../../support/store-with-alert.ts';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const FHIR_BASE = 'http://127.0.0.1:9/fhir';

const stores: ClientStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** A store with `count` classified open criticals (Observation/o1…), each received at `receivedAt(n)`. */
function storeWithCriticals(count: number, receivedAt: (n: number) => number): ClientStore {
  const { store } = storeWithAlerts({ count, receivedAt, fhirBase: FHIR_BASE });
  stores.push(store);
  return store;
}

/** The alert store, counting every alert any of its methods hands out. */
function counting(alerts: AlertStore): { alerts: AlertStore; handedOut: () => number } {
  let handedOut = 0;
  const isAlert = (value: unknown): value is AlertSummary =>
    typeof value === 'object' && value !== null && 'id' in value && 'state' in value;
  const proxy = new Proxy(alerts, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value, target, args);
        if (Array.isArray(result)) handedOut += result.filter(isAlert).length;
        else if (isAlert(result)) handedOut += 1;
        return result;
      };
    },
  });
  return { alerts: proxy, handedOut: () => handedOut };
}

describe('escalation tick', () => {
  it('reads only the criticals that may be due: a catch-up of 500 fresh ones is not read, the due one escalates', async () => {
    // Alert 1 arrived 11 minutes ago (due at 10); alerts 2…501 arrived during the last minute.
    const now = T0 + 11 * MINUTE;
    const store = storeWithCriticals(501, (n) => (n === 1 ? T0 : now - MINUTE + n));
    const { alerts, handedOut } = counting(store.alerts);
    const escalatedLevels: number[] = [];
    const escalation = createEscalation({
      alerts,
      ackTimeoutMs: 10 * MINUTE,
      repeatMs: 10 * MINUTE,
      now: () => now,
      onEscalated: (escalated) => void escalatedLevels.push(...escalated.map(({ level }) => level)),
    });

    const escalated = await escalation.tick();

    expect(escalated.map((a) => a.focus)).toEqual(['Observation/o1']);
    expect(escalatedLevels).toEqual([1]);
    // The due critical as a candidate, then as escalated: 2, not the 501 open ones.
    expect(handedOut()).toBe(2);
    expect(store.alerts.counts()).toEqual({ open: 501, escalated: 1 });
  });

  it('still escalates a fresh critical whose next escalation is due (set by a step elsewhere)', async () => {
    const now = T0 + 11 * MINUTE;
    const store = storeWithCriticals(3, () => now - MINUTE);
    const id = `${store.db.prepare<[], { key: string }>('SELECT key FROM subscriptions').get()?.key}:2`;
    store.db
      .prepare('UPDATE alerts SET next_escalation_at = ? WHERE id = ?')
      .run(new Date(now - 1).toISOString(), id);
    const escalation = createEscalation({
      alerts: store.alerts,
      ackTimeoutMs: 10 * MINUTE,
      repeatMs: 10 * MINUTE,
      now: () => now,
      onEscalated: () => undefined,
    });

    expect((await escalation.tick()).map((a) => a.id)).toEqual([id]);
  });

  it('with a chain under way, a fresh critical of that result is a candidate for the policy', () => {
    const now = T0 + 11 * MINUTE;
    const store = storeWithCriticals(3, () => now - MINUTE);
    expect(store.alerts.sharing.claimStep(FHIR_BASE, 'Observation/o3', 1, now)).toBe(true);
    const window = { receivedBy: now - 10 * MINUTE, at: now };

    expect(store.alerts.criticalsMaybeDue({ ...window, orChained: false })).toEqual([]);
    expect(store.alerts.criticalsMaybeDue({ ...window, orChained: true }).map((a) => a.focus)).toEqual([
      'Observation/o3',
    ]);
    expect(
      store.alerts.criticalsMaybeDue({ receivedBy: now, at: now, orChained: false }).map((a) => a.focus),
    ).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3']);
  });
});
