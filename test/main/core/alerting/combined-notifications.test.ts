// A notification for several criticals is taken back once the last of them is acknowledged: the
// coverage and the notifier wrapper on their own, then through the service against the embedded server
// (real SQLite, SMART, SSE): criticals that arrived while the charge nurse's screen was away are one
// offline summary, withdrawn only when every one of them was acknowledged, the last on another screen.
// Only the OS notification daemon is a recorder (test/support/workstations.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CombinedCoverage,
  withdrawingCombined,
} from '../../../../src-main/core/alerting/combined-notifications.ts';
import type { EscalationPolicy } from '../../../../src-main/core/alerting/escalation-policy.ts';
import { arrivedTogetherNotification } from '../../../../src-main/core/alerting/notification-text.ts';
import { startServer } from '../../../../src-main/server/server.ts';
import {
  live,
  QUICK_ESCALATION,
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

describe('combined coverage', () => {
  it('releases a group only when the last alert it covers is released, each group once', () => {
    const coverage = new CombinedCoverage();
    coverage.follow('g1', ['a', 'b', 'c']);
    coverage.follow('g2', ['c', 'd']);
    expect(coverage.release('a')).toEqual([]);
    expect(coverage.release('c')).toEqual([]);
    expect(coverage.release('b')).toEqual(['g1']);
    expect(coverage.release('b')).toEqual([]);
    expect(coverage.release('d')).toEqual(['g2']);
    expect(coverage.followed).toBe(0);
  });

  it('follows at most its limit: the oldest group is no longer followed', () => {
    const coverage = new CombinedCoverage(2);
    coverage.follow('g1', ['a']);
    coverage.follow('g2', ['b']);
    coverage.follow('g3', ['c']);
    expect(coverage.followed).toBe(2);
    expect(coverage.release('a')).toEqual([]);
    expect(coverage.release('c')).toEqual(['g3']);
  });
});

describe('withdrawing combined notifications', () => {
  it('gives a notification for several alerts a group id, and takes it back after the last alert', async () => {
    const recorder = recordingNotifier();
    const notifier = withdrawingCombined(recorder);
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
  });

  it('follows nothing for a notification that could not be raised', async () => {
    const coverage = new CombinedCoverage();
    const notifier = withdrawingCombined(
      {
        notify: async () => {
          throw new Error('no notification service');
        },
      },
      coverage,
    );
    await expect(notifier.notify(combined(['a', 'b']))).rejects.toThrow(/no notification service/);
    expect(coverage.followed).toBe(0);
  });

  it('still takes back the group when closing the alert’s own notification failed, and reports it', async () => {
    const recorder = recordingNotifier();
    const notifier = withdrawingCombined({
      ...recorder,
      withdraw: async () => {
        throw new Error('CloseNotification failed');
      },
    });
    await notifier.notify(combined(['a']));
    await expect(notifier.withdraw?.('a')).rejects.toThrow(/CloseNotification failed/);
    expect(recorder.withdrawnGroups).toEqual([recorder.raised[0]?.groupId]);
  });
});

/** Nobody is asked within this test's lifetime. */
const PATIENT: EscalationPolicy = {
  ...QUICK_ESCALATION,
  steps: QUICK_ESCALATION.steps.map((step) => ({ ...step, afterMinutes: 60 })),
};

describe('through the service', () => {
  it('an offline summary stays while one of its criticals is open and goes with the last, acknowledged elsewhere', async () => {
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
        policy: PATIENT,
        notifier,
      });
      cleanups.push(() => ws.close());
      return ws;
    };
    // The charge nurse's screen subscribes, then is away while four criticals arrive.
    const recorder = recordingNotifier();
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
    expect(summary.alertId).toBeNull();
    expect(summary.groupId).toMatch(/\S/);

    const alertsOn = async (ws: Workstation) =>
      Promise.all(
        focuses.map((focus) =>
          until(async () => {
            const alert = await ws.alertFor(focus);
            return alert?.tier === 'critical' ? alert : null;
          }, `${ws.name}: ${focus}`),
        ),
      );
    const acknowledge = async (ws: Workstation, alertId: string) => {
      await ws.service.handlers.markSeen({ alertId });
      await ws.service.handlers.acknowledge({ alertId });
    };
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
});
