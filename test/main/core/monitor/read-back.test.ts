// A first sign-in on a workstation reads back the open criticals written before it
// (src-main/core/monitor/read-back.ts). Against the embedded server, its SMART sign-in and real
// SQLite stores; only the OS notification daemon is a recorder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  live,
  PATIENT_ESCALATION,
  QUICK_ESCALATION,
  searchAsNurse,
  startWorkstation,
} from '../../../support/workstations.ts';
import type { EscalationPolicy } from '../../../../src-main/core/alerting/escalation-policy.ts';
import { until } from '../../../support/until.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ward(): Promise<{ server: RunningServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'read-back-'));
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
  });
  cleanups.push(() => server.close());
  return { server, dir };
}

/** A logger that keeps each line's message: the read-backs done are counted from it. */
function messages(): { logger: pino.Logger; said: (msg: string) => number } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const said = (msg: string) =>
    lines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === msg).length;
  return { logger, said };
}

/** Riley Chen (nurse-a2) signed in on her own workstation, every topic live. */
async function rileyWatching(server: RunningServer, dir: string, policy: EscalationPolicy) {
  const riley = startWorkstation({
    name: 'riley',
    dataDir: join(dir, 'riley'),
    fhirBase: server.fhirBase,
    policy,
  });
  cleanups.push(() => riley.close());
  await riley.signIn('nurse-a2');
  await live(riley);
  return riley;
}

function emitCritical(server: RunningServer, wardId: string): string {
  const observation = server.simulator?.emitCriticalPotassium(wardId);
  if (!observation) throw new Error('the simulator wrote no result');
  return `Observation/${observation.id}`;
}

/** A critical potassium the lab then corrects to a normal value (a new version, status amended). */
async function criticalCorrectedToNormal(server: RunningServer, wardId: string): Promise<string> {
  const observation = server.simulator?.emitCriticalPotassium(wardId);
  if (!observation) throw new Error('the simulator wrote no result');
  const feed = server.auth.issueServiceToken({
    clientId: 'lab-feed',
    role: 'clinical-feed',
    securityLabels: [wardId],
    scopes: ['system/Observation.cu'],
  }).accessToken;
  const { meta: _meta, interpretation: _interpretation, ...rest } = observation;
  const response = await fetch(`${server.fhirBase}/Observation/${observation.id}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${feed}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      ...rest,
      ...(observation.meta.security ? { meta: { security: observation.meta.security } } : {}),
      status: 'amended',
      valueQuantity: { ...(observation['valueQuantity'] as object), value: 4.1 },
    }),
  });
  expect(response.status).toBe(200);
  return `Observation/${observation.id}`;
}

describe('read-back at a first sign-in', () => {
  it('brings the ward’s open criticals written before it, not one acknowledged elsewhere, corrected to normal or of another ward, once', async () => {
    const { server, dir } = await ward();
    // Riley Chen, on her own workstation, sees one critical and acknowledges it.
    const riley = await rileyWatching(server, dir, PATIENT_ESCALATION);
    const acknowledged = emitCritical(server, 'ward-a');
    const rileys = await until(async () => {
      const alert = await riley.alertFor(acknowledged);
      return alert?.tier === 'critical' ? alert : null;
    }, 'Riley: the critical');
    await riley.service.handlers.markSeen({ alertId: rileys.id });
    await riley.service.handlers.acknowledge({ alertId: rileys.id });
    await until(
      async () => (await searchAsNurse(server, `Communication?about=${acknowledged}`)).length === 1,
      'the acknowledgment on the server',
    );
    await riley.close();
    // Then, while no Ward A screen watches: one critical on Ward A, one on Ward B.
    const open = emitCritical(server, 'ward-a');
    const otherWard = emitCritical(server, 'ward-b');
    // And one the lab corrected to a normal value: its latest version decides, so it is not read back.
    const corrected = await criticalCorrectedToNormal(server, 'ward-a');

    // Alex Rivera signs in on a workstation new to her.
    const log = messages();
    const options = {
      name: 'alex',
      dataDir: join(dir, 'alex'),
      fhirBase: server.fhirBase,
      policy: PATIENT_ESCALATION,
      logger: log.logger,
    };
    const alex = startWorkstation(options);
    cleanups.push(() => alex.close());
    await alex.signIn('nurse-a');
    const readBack = await until(
      async () => {
        const alert = await alex.alertFor(open);
        return alert?.tier === 'critical' && alert.patient?.name ? alert : null;
      },
      'Alex: the open critical read back and classified',
      15_000,
    );
    expect(readBack.state).toBe('new');
    await until(() => alex.notifier.raised.some((n) => n.alertId === readBack.id), 'Alex notified of it');
    expect(await alex.alertFor(acknowledged)).toBeNull();
    expect(await alex.alertFor(otherWard)).toBeNull();
    expect(await alex.alertFor(corrected)).toBeNull();
    const health = await alex.service.handlers.getHealth({});
    const critical = health.subscriptions.find((s) => s.topic === CRITICAL_LAB_TOPIC);
    expect(critical?.readBackFrom).toBeTruthy();
    expect(
      Date.parse(critical?.watchingSince ?? '') - Date.parse(critical?.readBackFrom ?? ''),
    ).toBeGreaterThanOrEqual(12 * 3_600_000 - 60_000);

    // Signed out and in again, and after a restart: nothing is read back twice.
    await alex.service.handlers.signOut({});
    await alex.signIn('nurse-a');
    await alex.close();
    const again = startWorkstation({ ...options, notifier: alex.notifier });
    cleanups.push(() => again.close());
    await again.signIn('nurse-a');
    await live(again);
    // Health names the read-back done, from the store, once subscribed; no second one ran.
    await until(async () => {
      const now = await again.service.handlers.getHealth({});
      return now.subscriptions.some((s) => s.topic === CRITICAL_LAB_TOPIC && s.readBackFrom);
    }, 'the read-back shown after the restart');
    expect(log.said('read back earlier results')).toBe(1);
    const alerts = await again.service.handlers.listAlerts({ limit: 200 });
    expect(alerts.filter((a) => a.focus === open)).toHaveLength(1);
    expect(alex.notifier.raised.filter((n) => n.alertId === readBack.id)).toHaveLength(1);
  }, 120_000);

  it('brings the escalation step another workstation already asked of the charge nurse, told to her at once, one Task', async () => {
    const { server, dir } = await ward();
    // Riley's screen asks the charge nurse within a second; every screen after it waits an hour, so
    // within this test only the read-back can bring the step to the charge nurse's new workstation.
    const charged: EscalationPolicy = {
      ...QUICK_ESCALATION,
      steps: [
        { role: 'charge-nurse', afterMinutes: 0.02 },
        { role: 'fail-safe', afterMinutes: 60 },
      ],
    };
    const riley = await rileyWatching(server, dir, charged);
    const focus = emitCritical(server, 'ward-a');
    const asked = await until(async () => {
      const alert = await riley.alertFor(focus);
      return alert?.escalation?.find((s) => s.step === 1 && s.taskRef !== null && s.status === 'requested');
    }, 'Riley’s screen: step 1 asked of the charge nurse');
    await riley.close();

    // Alex Rivera, the charge nurse, signs in on a workstation new to her.
    const alex = startWorkstation({
      name: 'alex',
      dataDir: join(dir, 'alex'),
      fhirBase: server.fhirBase,
      policy: { ...charged, steps: charged.steps.map((step) => ({ ...step, afterMinutes: 60 })) },
    });
    cleanups.push(() => alex.close());
    await alex.signIn('nurse-a');
    const shown = await until(
      async () => {
        const alert = await alex.alertFor(focus);
        return alert?.escalation?.some((s) => s.step === 1) ? alert : null;
      },
      'Alex: the critical read back with its step under way',
      15_000,
    );
    expect(shown.escalation?.find((s) => s.step === 1)).toMatchObject({
      status: 'requested',
      role: 'charge-nurse',
      taskRef: asked.taskRef,
      askedAt: asked.askedAt,
      dueAt: asked.dueAt,
      addressedToYou: true,
    });
    // Asked of her: told now, once, as the request it is (not only in the offline summary).
    await until(
      () =>
        alex.notifier.raised.some((n) => n.alertId === shown.id && n.kind === 'escalation' && n.step === 1),
      'Alex told of the step asked of her',
    );
    await alex.close();
    expect(
      alex.notifier.raised.filter((n) => n.alertId === shown.id && n.kind === 'escalation'),
    ).toHaveLength(1);
    expect(await searchAsNurse(server, `Task?focus=${focus}`)).toHaveLength(1);
  }, 120_000);
});
