// Notifications are taken back once nobody needs to act on them: one for several criticals once the
// last of them is acknowledged, and one raised before a restart of the host after it. The notifier
// wrapper over a real SQLite store on its own, then through the service against the embedded server
// (real SQLite, SMART, SSE): criticals that arrived while the charge nurse's screen was away are one
// offline summary, withdrawn only when every one of them was acknowledged, the last on another screen,
// or after the host restarted in between. Only the OS notification daemon is a recorder
// (test/support/workstations.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withdrawingNotifications } from '../../../../src-main/core/alerting/notification-withdrawal.ts';
import { arrivedTogetherNotification } from '../../../../src-main/core/alerting/notification-text.ts';
import { startServer } from '../../../../src-main/server/server.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import {
  live,
  PATIENT_ESCALATION,
  type NotificationRecorder,
  recordingNotifier,
  startWorkstation,
  type Workstation,
} from '../../../support/workstations.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A storm's notification for `alertIds`, as the monitor words it. */
const combined = (alertIds: string[]) => arrivedTogetherNotification(alertIds.length, alertIds);

/** A client store in a fresh directory, closed after the test; reopened at the same path by `again`. */
function storeIn(dir = mkdtempSync(join(tmpdir(), 'withdrawal-'))) {
  const store = openClientStore(join(dir, 'monitor.sqlite'));
  cleanups.push(async () => void store.close());
  return { store, again: () => storeIn(dir) };
}

describe('withdrawing notifications', () => {
  it('gives a notification for several alerts a group id, and takes it back after the last alert', async () => {
    const recorder = recordingNotifier();
    const { notifier } = withdrawingNotifications(recorder, storeIn().store.raisedNotifications);
    await notifier.notify({ alertId: 'x', tier: 'critical', title: 'one', body: 'b' });
    await notifier.notify(combined(['a', 'b']));
    const [single, group] = recorder.raised;
    expect(single?.groupId).toBeUndefined();
    expect(group?.groupId).toMatch(/\S/);

    await notifier.withdraw?.('a');
    expect(recorder.withdrawnGroups).toEqual([]);
    await notifier.withdraw?.('b');
    expect(recorder.withdrawn).toEqual(['a', 'b']);
    expect(recorder.withdrawnGroups).toEqual([group?.groupId]);
    expect(recorder.withdrawnEarlier).toEqual([]);
  });

  it('follows nothing for a notification that could not be raised', async () => {
    const { store } = storeIn();
    const { notifier } = withdrawingNotifications(
      {
        notify: async () => {
          throw new Error('no notification service');
        },
      },
      store.raisedNotifications,
    );
    await expect(notifier.notify(combined(['a', 'b']))).rejects.toThrow(/no notification service/);
    expect(store.raisedNotifications.followed()).toBe(0);
  });

  it('still takes back the group when closing the alert’s own notification failed, and reports it', async () => {
    const recorder = recordingNotifier();
    const { notifier } = withdrawingNotifications(
      {
        ...recorder,
        withdraw: async () => {
          throw new Error('CloseNotification failed');
        },
      },
      storeIn().store.raisedNotifications,
    );
    await notifier.notify(combined(['a']));
    await expect(notifier.withdraw?.('a')).rejects.toThrow(/CloseNotification failed/);
    expect(recorder.withdrawnGroups).toEqual([recorder.raised[0]?.groupId]);
  });
});

describe('across a restart of the host', () => {
  it('never gives two runs the same group id, so a page that outlived the restart closes only its own', async () => {
    const { store, again } = storeIn();
    const first = recordingNotifier();
    await withdrawingNotifications(first, store.raisedNotifications).notifier.notify(combined(['a', 'b']));
    const second = recordingNotifier();
    await withdrawingNotifications(second, again().store.raisedNotifications).notifier.notify(
      combined(['c', 'd']),
    );
    expect(first.raised[0]?.groupId).toMatch(/\S/);
    expect(second.raised[0]?.groupId).not.toBe(first.raised[0]?.groupId);
  });

  it('a notification for several alerts raised before the restart goes with the last of them after it', async () => {
    const { store, again } = storeIn();
    const before = recordingNotifier({ prefix: 'dbus' });
    await withdrawingNotifications(before, store.raisedNotifications, 'run-1').notifier.notify(
      combined(['a', 'b']),
    );
    store.close();

    const after = recordingNotifier();
    const { notifier } = withdrawingNotifications(after, again().store.raisedNotifications, 'run-2');
    await notifier.withdraw?.('a');
    expect(after.withdrawnEarlier).toEqual([]);
    await notifier.withdraw?.('b');
    expect(after.withdrawnEarlier).toEqual([
      { key: before.raised[0]?.groupId, kind: 'group', osRef: 'dbus-1' },
    ]);
    // Not this run's: nothing of its own to close by that group.
    expect(after.withdrawnGroups).toEqual([]);
  });

  it('an alert’s notifications raised before the restart go with it, each by what the host gave', async () => {
    const { store, again } = storeIn();
    const before = recordingNotifier({ prefix: 'dbus' });
    const { notifier: first } = withdrawingNotifications(before, store.raisedNotifications, 'run-1');
    await first.notify({ alertId: 'a', tier: 'critical', title: 'K 6.8', body: 'b', kind: 'alert' });
    await first.notify({ alertId: 'a', tier: 'critical', title: 'K 6.8', body: 'b', kind: 'escalation' });
    await first.notify({ alertId: 'z', tier: 'critical', title: 'Na 118', body: 'b', kind: 'alert' });
    store.close();

    const after = recordingNotifier();
    const { notifier } = withdrawingNotifications(after, again().store.raisedNotifications, 'run-2');
    await notifier.withdraw?.('a');
    expect(after.withdrawn).toEqual(['a']);
    expect(after.withdrawnEarlier).toEqual([
      { key: 'a', kind: 'alert', osRef: 'dbus-1' },
      { key: 'a', kind: 'alert', osRef: 'dbus-2' },
    ]);
  });

  it('at start, takes back what was raised for alerts closed while the host was down, and only those', async () => {
    const { store, again } = storeIn();
    const before = recordingNotifier({ prefix: 'dbus' });
    const { notifier: first } = withdrawingNotifications(before, store.raisedNotifications, 'run-1');
    await first.notify({ alertId: 'a', tier: 'critical', title: 'K 6.8', body: 'b' });
    await first.notify(combined(['a', 'b']));
    await first.notify(combined(['a', 'c']));
    store.close();

    const after = recordingNotifier();
    const reopened = again().store;
    const withdrawal = withdrawingNotifications(after, reopened.raisedNotifications, 'run-2');
    // Acknowledged elsewhere while this host was down: a and b. c is still open.
    await withdrawal.settleEarlier((alertId) => alertId === 'c');
    expect(after.withdrawnEarlier).toEqual([
      { key: 'a', kind: 'alert', osRef: 'dbus-1' },
      { key: before.raised[1]?.groupId, kind: 'group', osRef: 'dbus-2' },
    ]);
    // The one for a and c goes with c.
    await withdrawal.notifier.withdraw?.('c');
    expect(after.withdrawnEarlier.at(-1)).toEqual({
      key: before.raised[2]?.groupId,
      kind: 'group',
      osRef: 'dbus-3',
    });
    expect(reopened.raisedNotifications.followed()).toBe(0);
  });
});

/**
 * The embedded server, and the charge nurse's screen away while four criticals arrive for ward A: back,
 * they are one offline summary. `recorder` stands for the charge screen's notification daemon.
 */
async function summaryOfFourCriticals(recorder: NotificationRecorder) {
  const dir = mkdtempSync(join(tmpdir(), 'combined-'));
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
  });
  cleanups.push(() => server.close());
  const start = (name: string, notifier = recordingNotifier()): Workstation => {
    const ws = startWorkstation({
      name,
      dataDir: join(dir, name),
      fhirBase: server.fhirBase,
      policy: PATIENT_ESCALATION,
      notifier,
    });
    cleanups.push(() => ws.close());
    return ws;
  };
  // The charge nurse's screen subscribes, then is away while four criticals arrive.
  const before = start('charge', recorder);
  const other = start('other');
  await Promise.all([before.signIn('nurse-a'), other.signIn('nurse-a2')]);
  await Promise.all([live(before), live(other)]);
  await before.close();
  const focuses = Array.from(
    { length: 4 },
    () => `Observation/${server.simulator?.emitCriticalPotassium('ward-a').id ?? '?'}`,
  );

  // Back: the four are caught up as one notification that covers them all.
  const charge = start('charge', recorder);
  await charge.signIn('nurse-a');
  const summary = await until(
    () => recorder.raised.find((n) => n.kind === 'summary' && n.alertIds?.length === 4) ?? null,
    'the offline summary',
  );
  const alertsOn = async (ws: Workstation) =>
    Promise.all(
      focuses.map((focus) =>
        until(async () => {
          const alert = await ws.alertFor(focus);
          return alert?.tier === 'critical' ? alert : null;
        }, `${ws.name}: ${focus}`),
      ),
    );
  return { start, charge, other, summary, alertsOn };
}

const acknowledge = async (ws: Workstation, alertId: string) => {
  await ws.service.handlers.markSeen({ alertId });
  await ws.service.handlers.acknowledge({ alertId });
};

describe('through the service', () => {
  it('an offline summary stays while one of its criticals is open and goes with the last, acknowledged elsewhere', async () => {
    const recorder = recordingNotifier();
    const { charge, other, summary, alertsOn } = await summaryOfFourCriticals(recorder);
    expect(summary.alertId).toBeNull();
    expect(summary.groupId).toMatch(/\S/);
    const mine = await alertsOn(charge);
    expect(new Set(summary.alertIds)).toEqual(new Set(mine.map((a) => a.id)));

    // Three acknowledged here: the summary still stands for the fourth.
    for (const alert of mine.slice(0, 3)) await acknowledge(charge, alert.id);
    expect(recorder.withdrawn).toEqual(expect.arrayContaining(mine.slice(0, 3).map((a) => a.id)));
    expect(recorder.withdrawnGroups).toEqual([]);

    // The fourth acknowledged on another nurse's screen: the closed loop withdraws it here, and with it
    // the summary.
    const [, , , last] = await alertsOn(other);
    await acknowledge(other, last?.id ?? '');
    await until(() => recorder.withdrawnGroups.length > 0 || null, 'the summary withdrawn');
    expect(recorder.withdrawn).toContain(mine[3]?.id);
    expect(recorder.withdrawnGroups).toEqual([summary.groupId]);
  }, 120_000);

  it('a summary raised before the host restarted goes with the last of its criticals after the restart', async () => {
    // The daemon gives each notification an id the host can close it by in its next run.
    const daemon = recordingNotifier({ prefix: 'dbus' });
    const { start, charge, other, summary, alertsOn } = await summaryOfFourCriticals(daemon);
    const summaryRef = `dbus-${daemon.raised.indexOf(summary) + 1}`;
    const mine = await alertsOn(charge);

    // One acknowledged here, one elsewhere while this host restarts (an update, a crash).
    const [first, second, third, fourth] = mine;
    await acknowledge(charge, first?.id ?? '');
    await charge.close();
    const [, elsewhere] = await alertsOn(other);
    await acknowledge(other, elsewhere?.id ?? '');
    const afterRestart = recordingNotifier();
    const again = start('charge', afterRestart);
    await again.signIn('nurse-a');

    // The summary still stands for the two still open; it goes with the last, taken back by its ref.
    await acknowledge(again, third?.id ?? '');
    await until(
      async () => (await again.alertFor(second?.focus ?? ''))?.state === 'acknowledged' || null,
      'the acknowledgment made elsewhere caught up',
    );
    expect(afterRestart.withdrawnEarlier).toEqual([]);
    await acknowledge(again, fourth?.id ?? '');
    await until(() => afterRestart.withdrawnEarlier.length > 0 || null, 'the summary withdrawn');
    expect(afterRestart.withdrawnEarlier).toEqual([
      { key: summary.groupId, kind: 'group', osRef: summaryRef },
    ]);
    expect(afterRestart.withdrawnGroups).toEqual([]);
  }, 180_000);
});
