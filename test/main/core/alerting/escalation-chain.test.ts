// Telling the escalation steps addressed to this screen (src-main/core/alerting/escalation-chain.ts),
// over a real store holding the steps as the server's Tasks said them: a few are each told in their own
// words; a burst nobody acknowledged (600 results reaching the same step) is one notification for the
// fail-safe steps and one for the requests, not 600 each, and every step is still audited and told once.
// The notifier is the test double for the OS notification daemon.
import { afterEach, describe, expect, it } from 'vitest';
import { createEscalationChain } from '../../../../src-main/core/alerting/escalation-chain.ts';
import { DEMO_ESCALATION_POLICY } from '../../../../src-main/core/alerting/escalation-policy.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import type { SharedStep } from '../../../../src-main/core/store/alert-sharing.ts';
import type { ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { ALERT_RECEIVED_AT, storeWithAlerts } from '../../../support/store-with-alert.ts';

const FHIR_BASE = 'http://127.0.0.1:9/fhir';
const NURSE_ROLE = 'PractitionerRole/nurse-a-ward-a';
const AT = ALERT_RECEIVED_AT + 30 * 60_000;

const stores: ClientStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** Result n's step as its Task says it: the nurse asked (step 1) or nobody answered (step 3). */
function step(n: number, kind: 'requested' | 'fail-safe'): SharedStep {
  return {
    reference: `Task/t${n}-${kind}`,
    version: '1',
    focus: `Observation/o${n}`,
    step: kind === 'requested' ? 1 : 3,
    status: kind,
    target: kind === 'requested' ? NURSE_ROLE : null,
    targetName: null,
    recipients: kind === 'requested' ? [NURSE_ROLE] : [],
    role: kind === 'requested' ? 'nurse' : 'fail-safe',
    askedAt: new Date(AT - 60_000).toISOString(),
    dueAt: null,
    answeredBy: null,
    answeredByName: null,
    answeredAt: null,
  };
}

/** The nurse's screen holding `count` open criticals, each with its step of `kind` not yet told. */
async function tellSteps(count: number, kind: 'requested' | 'fail-safe') {
  const { store, ids } = storeWithAlerts({ count, fhirBase: FHIR_BASE });
  stores.push(store);
  for (let n = 1; n <= count; n++) store.alerts.sharing.saveStep(FHIR_BASE, step(n, kind), AT);
  const raised: AlertNotification[] = [];
  // The screen speaks for the nurse who owns these alerts (her owner key on that server).
  const owner = store.alerts.ownerOf(ids[0] ?? '');
  const chain = createEscalationChain({
    store,
    notifier: { notify: async (n) => void raised.push(n) },
    policy: DEMO_ESCALATION_POLICY,
    repeatMs: 10 * 60_000,
    now: () => AT,
    logger: silentLogger(),
    issuerFor: () => null,
    screen: () => ({ owner, wardScreen: false }),
    isPrivate: () => false,
    publish: () => undefined,
  });
  // Her sign-in gives the chain her PractitionerRoles and tells what was addressed to her.
  await chain.setResponder([NURSE_ROLE]);
  const told = store.db
    .prepare<[], { detail: string }>("SELECT detail FROM audit_log WHERE action = 'escalation:notified'")
    .all();
  const untold = store.db
    .prepare<[], { c: number }>("SELECT count(*) AS c FROM escalation_steps WHERE notice <> 'notified'")
    .get()?.c;
  return { ids, raised, told, untold, chain };
}

/**
 * Exactly one notification was raised: an escalation with this title and body for no single alert,
 * covering exactly these alerts, each once (in the order the steps were asked).
 */
function expectOneCovering(
  raised: readonly AlertNotification[],
  text: { title: string; body: string; inAppBody?: string },
  ids: readonly string[],
): void {
  expect(raised).toEqual([
    { alertId: null, tier: 'critical', ...text, kind: 'escalation', alertIds: expect.any(Array) },
  ]);
  expect(raised[0]?.alertIds).toHaveLength(ids.length);
  expect(new Set(raised[0]?.alertIds)).toEqual(new Set(ids));
}

describe('escalation steps told on this screen', () => {
  it('two requests: each its own notification naming its result', async () => {
    const { ids, raised, told, untold } = await tellSteps(2, 'requested');
    expect(raised.map((n) => [n.alertId, n.title])).toEqual([
      [ids[0], 'ESCALATED TO YOU: Potassium 6.8 mmol/L'],
      [ids[1], 'ESCALATED TO YOU: Potassium 6.8 mmol/L'],
    ]);
    expect(told.map((r) => r.detail)).toEqual(['step 1', 'step 1']);
    expect(untold).toBe(0);
  });

  it('600 requests at once: one notification that counts them and covers each, each step audited and told once', async () => {
    const { ids, raised, told, untold, chain } = await tellSteps(600, 'requested');
    expectOneCovering(
      raised,
      {
        title: 'ESCALATED TO YOU: 600 critical results not acknowledged',
        body: 'Open Alert Monitor to accept or decline each.',
        inAppBody: 'Each is in the critical list: open it to accept or decline.',
      },
      ids,
    );
    expect(told).toHaveLength(600);
    expect(untold).toBe(0);
    // Told once: another pass tells nothing.
    await chain.deliverNotices();
    expect(raised).toHaveLength(1);
  });

  it('600 fail-safe steps at once: the contact list once, for all of them', async () => {
    const { ids, raised, told } = await tellSteps(600, 'fail-safe');
    expectOneCovering(
      raised,
      {
        title: 'NOBODY HAS TAKEN IT: 600 critical results',
        body: 'Call now: House supervisor (on call) (ext. 4400), Rapid response team (ext. 5555)',
      },
      ids,
    );
    expect(told).toHaveLength(600);
  });
});
