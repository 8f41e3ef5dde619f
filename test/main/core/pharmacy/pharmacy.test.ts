// The pharmacist's worklist end to end in the core, over the real local-demo composition: the embedded
// server with its seeded demo orders, real SMART sign-ins (no role chosen: the role comes from the
// identity), the real order-checks file, two pharmacist workstations, and the server's records read
// back over HTTP.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmartSignIn } from '../../../../src-main/app/sign-in.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { CLARIFICATION_ANSWERED_TOPIC, topicsForRole } from '../../../../src-main/core/monitor/topics.ts';
import { createOrderChecksHolder } from '../../../../src-main/core/rules/order-checks-holder.ts';
import { createMonitorService, type MonitorService } from '../../../../src-main/core/service.ts';
import { startLocalDemo, type LocalDemo } from '../../../../src-main/local/local-demo.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import type { HostEvent, SessionInfo, UserRole, WorklistItem } from '../../../../src-main/shared/api.ts';
import { ApiRefusedError } from '../../../../src-main/shared/api.ts';
import { driveSignIn } from '../../server/auth/helpers.ts';

const CHECKS = resolve(import.meta.dirname, '../../../../resources/rules/order-checks.json');

let demo: LocalDemo;
const services: MonitorService[] = [];
const events = new Map<MonitorService, HostEvent[]>();
/** What each workstation's notifier was asked to raise (a test double: no OS notification daemon here). */
const notified = new Map<MonitorService, AlertNotification[]>();
/** The alerts whose notifications each workstation took back. */
const withdrawn = new Map<MonitorService, string[]>();
/** Each workstation's alert store, for opening it beside the service (a disk fault injected by trigger). */
const databases = new Map<MonitorService, string>();

function serviceAs(user: string, onSubscribed?: (role: UserRole | null) => void): MonitorService {
  const auth = createSmartSignIn({ logger: silentLogger() });
  const raised: AlertNotification[] = [];
  const taken: string[] = [];
  const dataDir = join(mkdtempSync(join(tmpdir(), 'pharmacy-')), 'client');
  const service = createMonitorService({
    dataDir,
    host: { kind: 'browser', version: 'test', osNotifications: false },
    notifier: {
      notify: async (notification) => {
        raised.push(notification);
      },
      withdraw: async (alertId) => {
        taken.push(alertId);
      },
    },
    logger: silentLogger(),
    defaultServer: demo.choice,
    signIn: (server, context) => auth.signIn(server, context),
    openUrl: async (url) => {
      await fetch(await driveSignIn(url, { user }));
    },
    topicsFor: (_session, server) => topicsForRole(server.role),
    pharmacy: { checks: createOrderChecksHolder(CHECKS) },
    ...(onSubscribed ? { onSubscribed } : {}),
  });
  const seen: HostEvent[] = [];
  service.onEvent((event) => seen.push(event));
  events.set(service, seen);
  notified.set(service, raised);
  withdrawn.set(service, taken);
  databases.set(service, join(dataDir, 'monitor.sqlite'));
  services.push(service);
  return service;
}

async function until<T>(probe: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function signedIn(service: MonitorService): Promise<SessionInfo> {
  await service.handlers.signIn({});
  return until(async () => {
    const info = await service.handlers.getSession({});
    return info.state === 'signed-in' && info;
  }, 'sign-in');
}

/** Read a resource from the demo server as the pharmacist (what an integration engineer would check). */
async function serverRead(path: string): Promise<Record<string, unknown>> {
  const token = demo.server.auth.issueToken({
    userId: 'pharmacist',
    clientId: DEMO_CLIENT_ID,
    scopes: ['user/*.rs'],
  }).accessToken;
  const res = await fetch(`${demo.server.fhirBase}/${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await res.json()) as Record<string, unknown>;
}

const entries = (bundle: Record<string, unknown>) =>
  ((bundle['entry'] ?? []) as { resource: Record<string, unknown> }[]).map((e) => e.resource);

let first: MonitorService;
let second: MonitorService;
let items: WorklistItem[];
const byDrug = (word: string): WorklistItem => {
  const item = items.find((i) => i.medication.toLowerCase().includes(word) && i.ward === 'ward-a');
  if (!item) throw new Error(`no ${word} order in the worklist`);
  return item;
};

beforeAll(async () => {
  demo = await startLocalDemo({
    dataDir: mkdtempSync(join(tmpdir(), 'pharmacy-demo-')),
    logger: silentLogger(),
    simulationRate: 0,
  });
  first = serviceAs('pharmacist');
  second = serviceAs('pharmacist');
  await signedIn(first);
  await signedIn(second);
  items = (await first.handlers.listWorklist({})).items;
}, 60_000);

afterAll(async () => {
  for (const service of services) await service.close();
  await demo.close();
});

describe('role from the identity', () => {
  it('a pharmacist and a nurse who chose nothing get their roles from their PractitionerRole', async () => {
    expect((await first.handlers.getSession({})).role).toBe('pharmacist');
    const nurse = serviceAs('nurse-a');
    expect((await signedIn(nurse)).role).toBe('nurse');
  });
});

describe('the worklist', () => {
  it('lists every active order awaiting verification, stat → urgent → routine, longest waiting first', () => {
    const rank = { stat: 0, asap: 1, urgent: 1, routine: 2 } as const;
    expect(items.length).toBeGreaterThan(5);
    for (let i = 1; i < items.length; i += 1) {
      const [a, b] = [items[i - 1] as WorklistItem, items[i] as WorklistItem];
      expect(rank[a.priority] <= rank[b.priority]).toBe(true);
      if (rank[a.priority] === rank[b.priority]) expect(a.waitingSince <= b.waitingSince).toBe(true);
    }
    expect(items[0]?.priority).toBe('stat');
  });

  it('shows full drug names, the dosage, the prescriber and the wait against its target', () => {
    const enoxaparin = byDrug('enoxaparin');
    expect(enoxaparin.medication).toBe('enoxaparin sodium 40 MG/0.4ML Prefilled Syringe');
    expect(enoxaparin.dosage).toBe('40 mg subcutaneous once daily');
    expect(enoxaparin.prescriber).toBe('Ward A attending physician');
    expect(enoxaparin.targetMinutes).toBe(60);
    expect(byDrug('piperacillin').targetMinutes).toBe(15);
    expect(Date.parse(enoxaparin.dueAt) - Date.parse(enoxaparin.waitingSince)).toBe(60 * 60_000);
  });

  it('filters by ward and by patient', async () => {
    const wardB = await first.handlers.listWorklist({ ward: 'ward-b' });
    expect(wardB.items.every((i) => i.ward === 'ward-b')).toBe(true);
    const name = byDrug('enoxaparin').patient?.name ?? '';
    const mine = await first.handlers.listWorklist({ patient: name.toUpperCase() });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((i) => i.patient?.name === name)).toBe(true);
  });

  it('names each order’s patient with the MRN and date of birth, and filters by MRN', async () => {
    // The demo ward has two patients of one name: the name alone does not say whose order it is.
    for (const item of items) {
      expect(item.patient?.mrn).toMatch(/^PT-\d{4}$/);
      expect(item.patient?.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const mrn = byDrug('enoxaparin').patient?.mrn ?? '';
    const byMrn = await first.handlers.listWorklist({ patient: mrn.toLowerCase() });
    expect(byMrn.items.length).toBeGreaterThan(0);
    expect(byMrn.items.every((i) => i.patient?.mrn === mrn)).toBe(true);
    const review = await first.handlers.getOrderReview({ order: byDrug('enoxaparin').order });
    expect(review.patient?.mrn).toBe(mrn);
  });
});

describe('the review', () => {
  it('shows the banner, allergies with reaction and criticality, and the allergy-class flag', async () => {
    const review = await first.handlers.getOrderReview({ order: byDrug('piperacillin').order });
    expect(review.patient?.age).toBeGreaterThan(18);
    expect(review.patient?.weight?.unit).toBe('kg');
    expect(review.patient?.egfr?.at).not.toBeNull();
    expect(review.allergies).toContainEqual(
      expect.objectContaining({ substance: 'Penicillin', reaction: 'Anaphylaxis', criticality: 'high' }),
    );
    expect(review.flags.map((f) => f.kind)).toContain('allergy');
    expect(review.checksNotice).toMatch(/NOT clinical advice/);
  });

  it('flags duplicate therapy, the interaction, the renal dose, K+ and INR on the demo orders', async () => {
    const kinds = async (word: string) =>
      (await first.handlers.getOrderReview({ order: byDrug(word).order })).flags.map(
        (f) => f.id.split(':')[0],
      );
    expect(await kinds('heparin')).toContain('anticoagulants');
    expect(await kinds('ibuprofen')).toContain('warfarin-nsaid');
    expect(await kinds('spironolactone')).toContain('potassium-before-potassium-raising');
    const warfarin = await first.handlers.getOrderReview({ order: byDrug('warfarin').order });
    expect(warfarin.flags.map((f) => f.id)).toContain('inr-warfarin');
    expect(warfarin.labs.find((l) => l.label === 'INR')?.value).toBe(4.1);
    // Enoxaparin's label doses by creatinine clearance: the review computes it from the patient's record.
    const enoxaparin = await first.handlers.getOrderReview({ order: byDrug('enoxaparin').order });
    expect(enoxaparin.flags.find((f) => f.id === 'enoxaparin-renal')?.detail).toMatch(
      /^CrCl \d+ mL\/min by Cockcroft–Gault \(\d+ y, (fe)?male, 54 kg, creatinine [\d.]+ mg\/dL\)$/,
    );
    expect(enoxaparin.patient?.crcl?.value).toBeLessThan(30);
    expect(await kinds('amlodipine')).toEqual([]);
  });
});

/** An order as the hospital's order entry writes it (a clinical-feed system client), for a Ward A patient. */
async function postOrder(priority: string, text: string, requester?: string): Promise<string> {
  const feed = demo.server.auth.issueServiceToken({
    clientId: 'pharmacy-system',
    role: 'clinical-feed',
    securityLabels: ['ward-a', 'ward-b'],
    scopes: ['system/*.cruds'],
  }).accessToken;
  const res = await fetch(`${demo.server.fhirBase}/MedicationRequest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${feed}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      priority,
      medicationCodeableConcept: { text },
      subject: { reference: byDrug('amlodipine').patient?.reference ?? '' },
      ...(requester ? { requester: { reference: requester } } : {}),
      authoredOn: new Date().toISOString(),
    }),
  });
  const body = (await res.json()) as { id: string };
  return `MedicationRequest/${body.id}`;
}

describe('interruptions', () => {
  it('a stat order interrupts; an urgent or routine one joins the worklist without an alert', async () => {
    const routine = await postOrder('routine', 'ondansetron 4 MG Oral Tablet');
    const urgent = await postOrder('urgent', 'metoclopramide 10 MG Oral Tablet');
    const stat = await postOrder('stat', 'naloxone 0.4 MG/ML Injectable Solution');
    const statAlert = await until(async () => {
      const alerts = await first.handlers.listAlerts({ limit: 1000 });
      const found = alerts.find((a) => a.focus === stat);
      return found && (notified.get(first) ?? []).some((n) => n.alertId === found.id) && found;
    }, 'the stat order’s notification');
    expect(statAlert.tier).toBe('high');
    // Both others are in the worklist, and neither is an alert (none notified, none unread).
    await until(async () => {
      const open = (await first.handlers.listWorklist({})).items.map((i) => i.order);
      return open.includes(routine) && open.includes(urgent);
    }, 'the routine and urgent orders in the worklist');
    const focuses = (await first.handlers.listAlerts({ limit: 1000 })).map((a) => a.focus);
    expect(focuses).not.toContain(routine);
    expect(focuses).not.toContain(urgent);
  });
});

describe('a decided stat order', () => {
  it('is closed on every pharmacist workstation: its alert resolved by who decided, its notification taken back', async () => {
    const order = await postOrder('stat', 'ondansetron 2 MG/ML Injectable Solution');
    const alertOn = async (service: MonitorService) =>
      (await service.handlers.listAlerts({ limit: 1000 })).find((a) => a.focus === order);
    // Both pharmacists are interrupted by it.
    const [onFirst, onSecond] = await Promise.all(
      [first, second].map((service) =>
        until(async () => {
          const alert = await alertOn(service);
          return alert && (notified.get(service) ?? []).some((n) => n.alertId === alert.id) && alert;
        }, 'the stat order’s notification'),
      ),
    );
    expect(onFirst?.state).toBe('new');

    const done = await first.handlers.decideOrder({
      order,
      decision: 'reject',
      reason: 'Duplicate of this morning’s antiemetic',
      overrides: [],
    });
    expect(done.accepted).toBe(true);
    // Where she decided, at once; on the other workstation once the server's verification Task arrives.
    for (const [service, alert] of [
      [first, onFirst],
      [second, onSecond],
    ] as const) {
      const closed = await until(async () => {
        const now = await alertOn(service);
        return now?.state === 'resolved' && now;
      }, 'the stat order’s alert resolved');
      expect(closed.id).toBe(alert?.id);
      expect(closed.lifecycle?.resolvedBy).toBe('Practitioner/pharmacist');
      expect(withdrawn.get(service)).toContain(alert?.id);
    }
    expect((await second.handlers.listWorklist({})).items.map((i) => i.order)).not.toContain(order);
  });
  it('is decided and closed in one transaction: if closing its alert fails, no decision is recorded or sent', async () => {
    const order = await postOrder('stat', 'promethazine 25 MG/ML Injectable Solution');
    const alert = await until(async () => {
      const found = (await first.handlers.listAlerts({ limit: 1000 })).find((a) => a.focus === order);
      return found && (notified.get(first) ?? []).some((n) => n.alertId === found.id) && found;
    }, 'the stat order’s notification');
    // A write that fails on this workstation's disk, injected into the real database beside the service.
    const beside = new Database(databases.get(first) ?? '');
    beside.exec(`CREATE TRIGGER fault_on_resolve BEFORE UPDATE OF state ON alerts WHEN NEW.state = 'resolved'
                 BEGIN SELECT RAISE(ABORT, 'disk fault (test)'); END`);
    const decision = { order, decision: 'reject' as const, reason: 'Not indicated', overrides: [] };
    try {
      await expect(first.handlers.decideOrder(decision)).rejects.toThrow(/disk fault/);
    } finally {
      beside.exec('DROP TRIGGER fault_on_resolve');
      beside.close();
    }
    // Nothing half-done: no decision stands, the order waits in the worklist, its alert is still open.
    expect((await first.handlers.getOrderReview({ order })).decision).toBeNull();
    expect((await first.handlers.listWorklist({})).items.map((i) => i.order)).toContain(order);
    const still = (await first.handlers.listAlerts({ limit: 1000 })).find((a) => a.id === alert.id);
    expect(still?.state).toBe('new');
    // Deciding again (the disk is back) records, closes and sends it once.
    expect((await first.handlers.decideOrder(decision)).accepted).toBe(true);
    const closed = (await first.handlers.listAlerts({ limit: 1000 })).find((a) => a.id === alert.id);
    expect(closed?.state).toBe('resolved');
    const id = order.replace('MedicationRequest/', '');
    const tasks = await until(async () => {
      const found = entries(await serverRead(`Task?focus=MedicationRequest/${id}`));
      return found.length > 0 && found;
    }, 'the verification Task');
    expect(tasks.map((t) => t['status'])).toEqual(['rejected']);
  });
});

describe('decisions written back to FHIR', () => {
  it('verifying a flagged order needs an override reason per flag, then writes Task and DetectedIssue', async () => {
    const order = byDrug('piperacillin').order;
    const review = await first.handlers.getOrderReview({ order });
    const refused = await first.handlers.decideOrder({ order, decision: 'verify', overrides: [] });
    expect(refused.accepted).toBe(false);
    expect(refused.message).toMatch(/override reason/);
    const overrides = review.flags.map((f) => ({
      flag: f.id,
      reason: 'Allergy is to amoxicillin rash only; ID consulted',
    }));
    const done = await first.handlers.decideOrder({ order, decision: 'verify', overrides });
    expect(done.accepted).toBe(true);
    const id = order.replace('MedicationRequest/', '');
    const tasks = await until(async () => {
      const found = entries(await serverRead(`Task?focus=MedicationRequest/${id}`));
      return found.some((t) => t['status'] === 'completed') && found;
    }, 'the verification Task');
    expect(tasks[0]?.['owner']).toEqual({ reference: 'Practitioner/pharmacist' });
    const issues = entries(await serverRead(`DetectedIssue?implicated=MedicationRequest/${id}`));
    expect(JSON.stringify(issues)).toContain('Verified with override: Allergy is to amoxicillin rash only');
    // The second pharmacist's workstation learns of it by subscription, and its worklist drops it.
    await until(
      async () => events.get(second)?.some((e) => e.type === 'worklist'),
      'a worklist event on the second',
    );
    expect((await second.handlers.listWorklist({})).items.map((i) => i.order)).not.toContain(order);
    // Deciding the same again records nothing new.
    expect((await first.handlers.decideOrder({ order, decision: 'verify', overrides })).message).toBe(
      'Already recorded.',
    );
  });

  it('a rejection needs a reason and is a rejected Task', async () => {
    const order = byDrug('enoxaparin').order;
    expect((await first.handlers.decideOrder({ order, decision: 'reject', overrides: [] })).accepted).toBe(
      false,
    );
    const done = await first.handlers.decideOrder({
      order,
      decision: 'reject',
      reason: 'eGFR 22: needs 30 mg daily',
      overrides: [],
    });
    expect(done.accepted).toBe(true);
    const id = order.replace('MedicationRequest/', '');
    const task = await until(async () => {
      const found = entries(await serverRead(`Task?focus=MedicationRequest/${id}`));
      return found.find((t) => t['status'] === 'rejected');
    }, 'the rejected Task');
    expect(task['statusReason']).toEqual({ text: 'eGFR 22: needs 30 mg daily' });
    expect((await second.handlers.listWorklist({})).items.map((i) => i.order)).not.toContain(order);
  });

  it('a clarification request is a Communication to the prescriber and puts the order on hold', async () => {
    const order = byDrug('ibuprofen').order;
    const done = await first.handlers.decideOrder({
      order,
      decision: 'clarify',
      reason: 'Patient is on warfarin: acetaminophen instead?',
      overrides: [],
    });
    expect(done.accepted).toBe(true);
    const id = order.replace('MedicationRequest/', '');
    await until(async () => {
      const found = entries(await serverRead(`Task?focus=MedicationRequest/${id}`));
      return found.some((t) => t['status'] === 'on-hold');
    }, 'the on-hold Task');
    const messages = entries(await serverRead('Communication?category=instruction'));
    const message = messages.find((m) => JSON.stringify(m['about']).includes(order));
    expect(message?.['recipient']).toEqual([{ reference: 'Practitioner/physician-a' }]);
    const list = await second.handlers.listWorklist({});
    expect(list.items.map((i) => i.order)).not.toContain(order);
    expect(list.awaitingClarification.map((i) => i.order)).toContain(order);
  });

  it('a second, different question while the first is out is a follow-up: its own message to the prescriber, both on the Task', async () => {
    const order = await postOrder('routine', 'naproxen 250 MG Oral Tablet');
    const first_ = 'Indication? No pain score charted.';
    const second_ = 'Also: is the patient on an anticoagulant?';
    expect(
      (await first.handlers.decideOrder({ order, decision: 'clarify', reason: first_, overrides: [] }))
        .accepted,
    ).toBe(true);
    const again = await first.handlers.decideOrder({
      order,
      decision: 'clarify',
      reason: second_,
      overrides: [],
    });
    expect(again).toMatchObject({
      accepted: true,
      message: 'Follow-up question recorded; sending to the prescriber.',
      decision: { decision: 'clarify', reason: `${first_} — then: ${second_}` },
    });
    const id = order.replace('MedicationRequest/', '');
    await until(async () => {
      const found = entries(await serverRead(`Task?focus=MedicationRequest/${id}`));
      return found.some((t) => (JSON.stringify(t['statusReason']) ?? '').includes(second_));
    }, 'the Task naming both questions');
    const messages = entries(await serverRead('Communication?category=instruction')).filter((m) =>
      JSON.stringify(m['about']).includes(order),
    );
    expect(messages.map((m) => (m['payload'] as Array<{ contentString: string }>)[0]?.contentString)).toEqual(
      expect.arrayContaining([
        `Please clarify naproxen 250 MG Oral Tablet: ${first_}`,
        `Follow-up question 2 on naproxen 250 MG Oral Tablet: ${second_}`,
      ]),
    );
    expect(messages).toHaveLength(2);
    // Either question again (a double click) is the one already recorded: no third message.
    for (const reason of [first_, second_])
      expect(
        await first.handlers.decideOrder({ order, decision: 'clarify', reason, overrides: [] }),
      ).toMatchObject({ accepted: true, message: 'Already recorded.' });
    // Past four follow-ups the page says to call: five questions in writing are enough.
    for (const n of [3, 4, 5])
      expect(
        (
          await first.handlers.decideOrder({
            order,
            decision: 'clarify',
            reason: `Question ${n}?`,
            overrides: [],
          })
        ).accepted,
      ).toBe(true);
    const sixth = await first.handlers.decideOrder({
      order,
      decision: 'clarify',
      reason: 'Question 6?',
      overrides: [],
    });
    expect(sixth.accepted).toBe(false);
    expect(sixth.message).toMatch(/^Not sent: 5 questions are out to the prescriber already/);
    // The review says what was asked, in order.
    expect((await first.handlers.getOrderReview({ order })).decision?.reason).toBe(
      `${first_} — then: ${second_} — then: Question 3? — then: Question 4? — then: Question 5?`,
    );
    // Still awaiting the prescriber: a follow-up decides nothing.
    expect((await second.handlers.listWorklist({})).awaitingClarification.map((i) => i.order)).toContain(
      order,
    );
  });

  it('a rejected order is not an active medication: no duplicate or interaction flag with it', async () => {
    const given = await postOrder('routine', 'ketorolac 10 MG Oral Tablet');
    const next = await postOrder('routine', 'diclofenac 50 MG Oral Tablet');
    const flagged = await first.handlers.getOrderReview({ order: next });
    expect(flagged.flags.some((f) => f.implicated.includes(given))).toBe(true);
    expect(flagged.activeMedications.map((m) => m.reference)).toContain(given);
    const rejected = await first.handlers.decideOrder({
      order: given,
      decision: 'reject',
      reason: 'Two NSAIDs ordered',
      overrides: [],
    });
    expect(rejected.accepted).toBe(true);
    // On this workstation at once (before the server has the Task), and on another once it has.
    const here = await first.handlers.getOrderReview({ order: next });
    expect(here.flags.some((f) => f.implicated.includes(given))).toBe(false);
    expect(here.activeMedications.map((m) => m.reference)).not.toContain(given);
    await until(async () => {
      const there = await second.handlers.getOrderReview({ order: next });
      return !there.activeMedications.some((m) => m.reference === given) && there;
    }, 'the rejection on the second workstation');
  });

  it('a nurse may not decide', async () => {
    const nurse = serviceAs('nurse-a');
    await signedIn(nurse);
    await expect(
      nurse.handlers.decideOrder({ order: byDrug('amlodipine').order, decision: 'verify', overrides: [] }),
    ).rejects.toBeInstanceOf(ApiRefusedError);
  });
});

describe("the demo's scripted stat order", () => {
  it('a pharmacist who signs in is given the run’s stat order (the demo hears her role), and it interrupts her', async () => {
    const roles: (UserRole | null)[] = [];
    const third = serviceAs('pharmacist', (role) => {
      roles.push(role);
      demo.kick(undefined, role);
    });
    await signedIn(third);
    const alert = await until(async () => {
      const alerts = await third.handlers.listAlerts({ limit: 1000 });
      const found = alerts.find((a) => a.tier === 'high' && /furosemide/i.test(a.headline));
      return found && (notified.get(third) ?? []).some((n) => n.alertId === found.id) && found;
    }, 'the scripted stat order’s notification');
    expect(roles).toEqual(['pharmacist']);
    const order = await serverRead(alert.focus);
    expect(order).toMatchObject({ resourceType: 'MedicationRequest', priority: 'stat', status: 'active' });
  });
});

describe("the prescriber's answer", () => {
  it('brings the held order back to the worklist, answered, its wait without the time on hold; a follow-up holds it again', async () => {
    const order = await postOrder('routine', 'tramadol 50 MG Oral Tablet', 'Practitioner/physician-a');
    const question = 'Pain score not charted: indication?';
    expect(
      (await first.handlers.decideOrder({ order, decision: 'clarify', reason: question, overrides: [] }))
        .accepted,
    ).toBe(true);
    const asked = await until(async () => {
      const found = entries(await serverRead('Communication?category=instruction')).find(
        (m) => JSON.stringify(m['about']).includes(order) && m['sender'] !== undefined,
      );
      return found;
    }, 'the question on the server');
    const simulator = demo.server.simulator;
    if (!simulator) throw new Error('the demo has no simulator');
    // The ward's attending answers after 15 simulated minutes, not before.
    simulator.advance(14 * 60_000);
    const waiting = await second.handlers.listWorklist({});
    const ordered = waiting.awaitingClarification.find((i) => i.order === order)?.waitingSince ?? '';
    expect(ordered).not.toBe('');
    const pushed = () =>
      (events.get(second) ?? []).filter((e) => e.type === 'worklist' && e.orders.includes(order)).length;
    // The question's on-hold Task is pushed first (the order-verification topic); only then is the
    // count taken, so the next push can only be the answer's.
    await until(async () => pushed() > 0, 'the on-hold Task pushed to the second workstation');
    const subscribed = (await second.handlers.getHealth({})).subscriptions.map((s) => s.topic);
    expect(subscribed).toContain(CLARIFICATION_ANSWERED_TOPIC);
    const before = pushed();
    simulator.advance(60_000);
    // Both workstations are told by subscription (the answer topic): their worklists search again.
    await until(async () => pushed() > before, 'the answer pushed to the second workstation');
    const answered = await second.handlers.listWorklist({});
    expect(answered.awaitingClarification.map((i) => i.order)).not.toContain(order);
    const item = answered.items.find((i) => i.order === order);
    expect(item?.answer).toMatchObject({ by: 'Ward A attending physician' });
    expect(item?.answer?.text.length).toBeGreaterThan(0);
    // The time on hold, from the question to the answer, does not count against her target.
    const held = Date.parse(item?.answer?.at ?? '') - Date.parse(String(asked['sent']));
    expect(held).toBeGreaterThanOrEqual(0);
    expect(item?.waitingSince).toBe(new Date(Date.parse(ordered) + held).toISOString());
    // The answer on the server is a Communication in response to the question, about the same order.
    const answer = await serverRead(item?.answer?.reference ?? '');
    expect(answer).toMatchObject({
      inResponseTo: [{ reference: `Communication/${String(asked['id'])}` }],
      about: [{ reference: order }],
      recipient: [{ reference: 'Practitioner/pharmacist' }],
    });
    // The review shows it beside the question.
    const review = await first.handlers.getOrderReview({ order });
    expect(review.answers).toEqual([item?.answer]);
    expect(review.item?.answer).toEqual(item?.answer);
    // A follow-up question after the answer holds the order again: at once on the workstation that
    // asked, and on the other once the question is on the server.
    const followUp = 'Thank you. Renal function before the first dose?';
    expect(
      (await first.handlers.decideOrder({ order, decision: 'clarify', reason: followUp, overrides: [] }))
        .accepted,
    ).toBe(true);
    expect((await first.handlers.listWorklist({})).awaitingClarification.map((i) => i.order)).toContain(
      order,
    );
    await until(async () => {
      const list = await second.handlers.listWorklist({});
      return list.awaitingClarification.some((i) => i.order === order);
    }, 'the order held again on the second workstation');
    // Answered again, she verifies it: one decision, no longer listed anywhere.
    simulator.advance(15 * 60_000);
    await until(async () => {
      const list = await first.handlers.listWorklist({});
      return list.items.some((i) => i.order === order && i.answer !== null);
    }, 'the second answer');
    expect((await first.handlers.getOrderReview({ order })).answers).toHaveLength(2);
    expect((await first.handlers.decideOrder({ order, decision: 'verify', overrides: [] })).accepted).toBe(
      true,
    );
    await until(async () => {
      const list = await second.handlers.listWorklist({});
      return (
        list.status === 'ok' && ![...list.items, ...list.awaitingClarification].some((i) => i.order === order)
      );
    }, 'the verified order gone from the second worklist');
  });
});
