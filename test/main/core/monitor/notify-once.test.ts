// Notify once, live (src-main/core/monitor/notify-once.ts): a few live criticals in one batch are each
// their own notification; more than a nurse can read at once (a lab's held results released together)
// are one notification that counts them, each alert marked as covered by it, so none is notified twice
// and none is left unnotified. A real store (SQLite file); the notifier is the test double for the OS
// notification daemon, recording what it was asked to raise.
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { AT_ONCE_ONE_BY_ONE } from '../../../../src-main/core/alerting/notification-text.ts';
import {
  createNotifyState,
  notifyMany,
  type NotifyDeps,
} from '../../../../src-main/core/monitor/notify-once.ts';
import type { ClientStore } from '../../../../src-main/core/store/client-store.ts';
import type { AlertSummary } from '../../../../src-main/shared/api.ts';
import { storeWithAlerts } from '../../../support/store-with-alert.ts';

const stores: ClientStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** `count` live criticals, classified and owed a notification, and a notifier that records. */
function liveCriticals(count: number): {
  store: ClientStore;
  alerts: AlertSummary[];
  raised: AlertNotification[];
  deps: NotifyDeps;
} {
  const { store, ids } = storeWithAlerts({ count });
  stores.push(store);
  const raised: AlertNotification[] = [];
  const deps: NotifyDeps = {
    alerts: store.alerts,
    notifier: { notify: async (n) => void raised.push(n) },
    logger: silentLogger(),
    isPrivate: () => false,
    isCatchUp: () => false,
    settled: () => undefined,
    inTransaction: (write) => store.db.transaction(write)(),
  };
  const alerts = ids.map((id) => store.alerts.get(id)).filter((a): a is AlertSummary => a !== null);
  return { store, alerts, raised, deps };
}

const notifyStateOf = (store: ClientStore, id: string) => store.alerts.get(id)?.lifecycle?.notifyState;

describe('notify once, live', () => {
  it(`up to ${AT_ONCE_ONE_BY_ONE} live criticals in one batch: each its own notification, naming its result`, async () => {
    const { store, alerts, raised, deps } = liveCriticals(AT_ONCE_ONE_BY_ONE);
    await notifyMany(deps, createNotifyState(), alerts);

    expect(raised.map((n) => n.alertId)).toEqual(alerts.map((a) => a.id));
    expect(raised.every((n) => n.kind === 'alert' && n.title.includes('Potassium 6.8'))).toBe(true);
    expect(alerts.map((a) => notifyStateOf(store, a.id))).toEqual(alerts.map(() => 'notified'));
  });

  it('600 live criticals in one batch: one notification that counts them and covers each, not 600', async () => {
    const { store, alerts, raised, deps } = liveCriticals(600);
    await notifyMany(deps, createNotifyState(), alerts);

    expect(raised).toEqual([
      {
        alertId: null,
        tier: 'critical',
        title: '600 critical results arrived together',
        body: 'Open Alert Monitor to review them.',
        inAppBody: 'Each is in the critical list.',
        kind: 'summary',
        alertIds: alerts.map((a) => a.id),
      },
    ]);
    expect(new Set(alerts.map((a) => notifyStateOf(store, a.id)))).toEqual(new Set(['summarised']));

    // Claimed once: the same batch again (a repeated report) raises nothing more.
    await notifyMany(deps, createNotifyState(), alerts);
    expect(raised).toHaveLength(1);
  });
});
