// Re-notification of what one escalation tick escalated (src-main/core/alerting/renotify.ts), driven by
// the real tick (escalation.ts) over a real store: a few overdue criticals are each re-notified in
// their own words; a burst nobody acknowledged (600) is one notification that counts them, not 600,
// and each alert's audit says it was re-notified. The notifier is the test double for the OS daemon.
import { afterEach, describe, expect, it } from 'vitest';
import { createEscalation } from '../../../../src-main/core/alerting/escalation.ts';
import { renotifyEscalated } from '../../../../src-main/core/alerting/renotify.ts';
import type { AlertNotification, Notifier } from '../../../../src-main/core/ports.ts';
import type { ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { ALERT_RECEIVED_AT, storeWithAlerts } from '../../../support/store-with-alert.ts';

const MINUTE = 60_000;
const DUE = ALERT_RECEIVED_AT + 11 * MINUTE;

const stores: ClientStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** `count` criticals received at ALERT_RECEIVED_AT, one escalation tick 11 minutes later. */
async function tickOver(
  count: number,
  notifier: Notifier,
  withoutDetail: (alertId: string) => boolean = () => false,
): Promise<{ store: ClientStore; ids: string[]; published: string[] }> {
  const { store, ids } = storeWithAlerts({ count });
  stores.push(store);
  const published: string[] = [];
  const escalation = createEscalation({
    alerts: store.alerts,
    ackTimeoutMs: 10 * MINUTE,
    repeatMs: 10 * MINUTE,
    now: () => DUE,
    onEscalated: (escalated) =>
      renotifyEscalated(
        {
          notifier,
          alerts: store.alerts,
          now: () => DUE,
          withoutDetail,
          publishAlert: (id) => void published.push(id),
        },
        escalated,
      ),
  });
  await escalation.tick();
  return { store, ids, published };
}

const recording = (raised: AlertNotification[]): Notifier => ({ notify: async (n) => void raised.push(n) });

const auditOf = (store: ClientStore, action: string) =>
  store.db
    .prepare<[string], { alert_id: string; detail: string }>(
      'SELECT alert_id, detail FROM audit_log WHERE action = ? ORDER BY id',
    )
    .all(action);

describe('re-notification of escalated criticals', () => {
  it('two overdue criticals: each re-notified in its own words, the other user’s without detail', async () => {
    const raised: AlertNotification[] = [];
    const { store, ids, published } = await tickOver(2, recording(raised), (id) => id.endsWith(':2'));

    expect(raised.map((n) => [n.alertId, n.kind, n.title])).toEqual([
      [ids[0], 'escalation', 'ESCALATED: Potassium 6.8 mmol/L'],
      [ids[1], 'escalation', 'Not acknowledged: critical Potassium'],
    ]);
    expect(auditOf(store, 'renotified').map((r) => r.detail)).toEqual([
      'escalation level 1',
      'escalation level 1',
    ]);
    expect(published).toEqual(ids);
  });

  it('600 overdue together: one notification that counts them and covers each, each audited and pushed', async () => {
    const raised: AlertNotification[] = [];
    const { store, ids, published } = await tickOver(600, recording(raised));

    expect(raised).toEqual([
      {
        alertId: null,
        tier: 'critical',
        title: '600 critical results not acknowledged',
        body: 'Open Alert Monitor to acknowledge them.',
        inAppBody: 'Each is in the critical list: open it to acknowledge.',
        kind: 'escalation',
        alertIds: ids,
      },
    ]);
    const audited = auditOf(store, 'renotified');
    expect(audited.map((r) => r.alert_id)).toEqual(ids);
    expect(new Set(audited.map((r) => r.detail))).toEqual(new Set(['escalation level 1, with 599 others']));
    expect(published).toEqual(ids);
    expect(store.alerts.counts()).toEqual({ open: 600, escalated: 600 });
  });

  it('the one notification failing: each of the 600 is audited as not re-notified, none lost', async () => {
    const { store, ids } = await tickOver(600, {
      notify: async () => {
        throw new Error('notification daemon gone');
      },
    });
    const failed = auditOf(store, 'notify-failed');
    expect(failed.map((r) => r.alert_id)).toEqual(ids);
    expect(failed[0]?.detail).toBe('notification daemon gone');
    expect(store.alerts.counts()).toEqual({ open: 600, escalated: 600 });
  });
});
