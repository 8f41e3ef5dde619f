// Granular SMART v2 scopes (`user/Observation.rs?code=…`) are enforced on reads, searches,
// subscriptions, $events and delivered events, or refused when granted — never granted and then read
// as the whole type. Black-box over HTTP with real sign-ins and real SSE streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_BASE } from '../../../../src-main/server/topics/definitions.ts';
import type { TestServer } from '../helpers.ts';
import {
  createSubscription,
  eventCount,
  events,
  fhir,
  focusOf,
  openSse,
  startTestServer,
} from '../helpers.ts';
import { authorizationCode, criticalPotassium, patientOn, searchIds, signIn } from './support.ts';

const CRITICAL_LAB = `${TOPIC_BASE}/critical-lab-result`;
const POTASSIUM = 'http://loinc.org|2823-3';
const VITAL_SIGNS = 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';

let t: TestServer;
let origin: string;
let base: string;
let lab: string;
let patientA: string;
beforeAll(async () => {
  t = await startTestServer();
  origin = t.server.origin;
  base = t.server.fhirBase;
  lab = t.feed(['ward-a']);
  patientA = await patientOn(base, t.token('nurse-a'), 'ward-a');
});
afterAll(() => t.close());

/** A critical sodium: a laboratory critical like the potassium, with another code. */
const criticalSodium = (patient: string) =>
  criticalPotassium(patient, { code: { coding: [{ system: 'http://loinc.org', code: '2951-2' }] } });

const vitalSign = (patient: string) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: VITAL_SIGNS.split('|')[0], code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value: 88, unit: '/min' },
});

async function post(body: Record<string, unknown>): Promise<string> {
  const res = await fhir('POST', `${base}/Observation`, lab, body);
  expect(res.status).toBe(201);
  return String(res.body.id);
}

describe('a narrowed read scope', () => {
  it('reads, vreads, histories and searches only what its conditions match', async () => {
    const vital = await post(vitalSign(patientA));
    const potassium = await post(criticalPotassium(patientA));
    const scope = `openid user/Observation.rs?category=${VITAL_SIGNS}`;
    const narrowed = await signIn(origin, base, 'nurse-a', scope);
    expect(narrowed.scope).toBe(scope);
    const token = narrowed.accessToken;
    expect((await fhir('GET', `${base}/Observation/${vital}`, token)).status).toBe(200);
    expect((await fhir('GET', `${base}/Observation/${potassium}`, token)).status).toBe(404);
    expect((await fhir('GET', `${base}/Observation/${potassium}/_history/1`, token)).status).toBe(404);
    expect((await fhir('GET', `${base}/Observation/${potassium}/_history`, token)).status).toBe(404);
    const found = await fhir('GET', `${base}/Observation?_count=1000`, token);
    const ids = (found.body.entry as { resource: { id: string } }[]).map((e) => e.resource.id);
    expect(ids).toContain(vital);
    expect(ids).not.toContain(potassium);
    expect(found.body.total).toBe(ids.length);
    // Another type is not covered at all.
    expect((await fhir('GET', `${base}/Patient/${patientA}`, token)).status).toBe(403);
  });

  it('two narrowed scopes add up (OR), and a search filter still applies within them', async () => {
    const vital = await post(vitalSign(patientA));
    const potassium = await post(criticalPotassium(patientA));
    const sodium = await post(criticalSodium(patientA));
    const token = (
      await signIn(
        origin,
        base,
        'nurse-a',
        `user/Observation.rs?category=${VITAL_SIGNS} user/Observation.rs?code=${POTASSIUM}`,
      )
    ).accessToken;
    const all = await searchIds(base, token, 'Observation?_count=1000');
    expect(all).toEqual(expect.arrayContaining([vital, potassium]));
    expect(all).not.toContain(sodium);
    const onlyLab = await searchIds(base, token, 'Observation?category=laboratory&_count=1000');
    expect(onlyLab).toContain(potassium);
    expect(onlyLab).not.toContain(vital);
  });
});

describe('a narrowed scope on subscriptions and delivered events', () => {
  it('logs, replays ($events) and streams only the events whose focus its conditions match', async () => {
    const token = (
      await signIn(origin, base, 'nurse-a', `user/Observation.rs?code=${POTASSIUM} user/Subscription.cruds`)
    ).accessToken;
    const sub = await createSubscription(t, token, { topic: CRITICAL_LAB });
    const stream = await openSse(sub.endpoint, { authorization: `Bearer ${token}` });
    await post(criticalSodium(patientA));
    const potassium = await post(criticalPotassium(patientA));
    await stream.waitFor((frames) => events(frames).length >= 1);
    expect(await eventCount(t, token, sub.id)).toBe(1);
    const logged = await fhir('GET', `${base}/Subscription/${sub.id}/$events`, token);
    expect(focusOf(logged.body)).toBe(`${base}/Observation/${potassium}`);
    expect(events(stream.frames).map((f) => focusOf(JSON.parse(f.data)))).toEqual([
      `${base}/Observation/${potassium}`,
    ]);
    stream.close();
  });

  it('a stream opened with a narrower token than the subscription’s owner had is filtered at delivery', async () => {
    const wide = (await signIn(origin, base, 'nurse-a', 'user/*.rs user/Subscription.cruds')).accessToken;
    const sub = await createSubscription(t, wide, { topic: CRITICAL_LAB });
    const narrow = (
      await signIn(origin, base, 'nurse-a', `user/Observation.rs?code=${POTASSIUM} user/Subscription.rs`)
    ).accessToken;
    const stream = await openSse(sub.endpoint, { authorization: `Bearer ${narrow}` });
    const sodium = await post(criticalSodium(patientA));
    const potassium = await post(criticalPotassium(patientA));
    // Both events are in the owner's log; the narrow stream and the narrow $events see one.
    expect(await eventCount(t, wide, sub.id)).toBe(2);
    await stream.waitFor((frames) => events(frames).length >= 1);
    const replay = await fhir('GET', `${base}/Subscription/${sub.id}/$events`, narrow);
    expect(JSON.stringify(replay.body)).not.toContain(sodium);
    expect(JSON.stringify(replay.body)).toContain(potassium);
    // The sodium event came first; the stream skipped it and delivered the potassium only.
    expect(events(stream.frames).map((f) => f.id)).toEqual(['2']);
    stream.close();
  });

  it('a subscription needs read access to what its topic is about', async () => {
    const token = (await signIn(origin, base, 'nurse-a', 'user/Patient.rs user/Subscription.cruds'))
      .accessToken;
    const res = await fhir('POST', `${base}/Subscription`, token, {
      resourceType: 'Subscription',
      status: 'requested',
      criteria: CRITICAL_LAB,
      channel: { type: 'websocket' },
    });
    expect(res.status).toBe(403);
  });
});

describe('a narrowed write scope', () => {
  it('creates only what its conditions match', async () => {
    const vitalsOnly = t.feed(
      ['ward-a'],
      [`system/Observation.cu?category=${VITAL_SIGNS}`, 'system/Patient.rs'],
    );
    expect((await fhir('POST', `${base}/Observation`, vitalsOnly, vitalSign(patientA))).status).toBe(201);
    expect((await fhir('POST', `${base}/Observation`, vitalsOnly, criticalPotassium(patientA))).status).toBe(
      403,
    );
  });
});

describe('what cannot be enforced is refused when granted', () => {
  const refusals: [string, string][] = [
    ['an unknown parameter', 'user/Observation.rs?colour=blue'],
    ['a query on every type', `user/*.rs?category=${VITAL_SIGNS}`],
    ['a date condition', 'user/Observation.rs?date=2026'],
    ['malformed percent-encoding', 'user/Observation.rs?code=%E0%A4%A'],
    ['a modifier', 'user/Observation.rs?code:not=x'],
    ['a condition on Subscription', 'user/Subscription.cruds?status=active'],
  ];
  for (const [name, scope] of refusals) {
    it(name, async () => {
      const { redirect } = await authorizationCode(origin, base, 'nurse-a', `openid ${scope}`);
      expect(redirect.searchParams.get('error')).toBe('invalid_scope');
      expect(redirect.searchParams.get('code')).toBeNull();
    });
  }
});
