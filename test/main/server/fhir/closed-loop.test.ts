// What the embedded server offers the closed loop across workstations (docs/alerting.md, docs/server.md),
// black-box over HTTP: create-only writes (`If-None-Match: *`) for records that must exist once, who may
// write escalation Tasks (nurses and charge nurses of the ward; a ward workstation may only issue them),
// the two topics, and the demo's care team.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscription, eventCount, fhir, startTestServer, type TestServer } from '../helpers.ts';
import { patientOn } from '../security/support.ts';

const TOPIC = 'http://alert-monitor.local/fhir/SubscriptionTopic';
const ESCALATION = {
  coding: [
    { system: 'http://alert-monitor.local/fhir/CodeSystem/closed-loop', code: 'critical-result-escalation' },
  ],
};

let t: TestServer;
let base: string;
let nurseA: string;
let nurseB: string;
let patientA: string;
beforeAll(async () => {
  t = await startTestServer();
  base = t.server.fhirBase;
  nurseA = t.token('nurse-a2');
  nurseB = t.token('nurse-b');
  patientA = `Patient/${await patientOn(base, nurseA, 'ward-a')}`;
});
afterAll(() => t.close());

/** Ward A's shared workstation identity (Backend Services), as the server issues it. */
const wardWorkstationToken = () =>
  t.server.auth.issueServiceToken({
    clientId: 'ward-a-workstation',
    role: 'ward-workstation',
    securityLabels: ['ward-a'],
    scopes: ['system/*.cruds'],
  }).accessToken;

const longId = (prefix: string) => `${prefix}-${randomUUID().replace(/-/g, '')}`;

function acknowledgment(id: string, focus = 'Observation/x', sender = 'Practitioner/nurse-a2') {
  return {
    resourceType: 'Communication',
    id,
    identifier: [{ system: 'urn:alert-monitor:acknowledgment', value: focus }],
    status: 'completed',
    subject: { reference: patientA },
    about: [{ reference: focus }],
    sent: new Date().toISOString(),
    sender: { reference: sender },
  };
}

function step(id: string, code = ESCALATION, status = 'requested') {
  return {
    resourceType: 'Task',
    id,
    status,
    intent: 'order',
    code,
    for: { reference: patientA },
    focus: { reference: 'Observation/x' },
    authoredOn: new Date().toISOString(),
    input: [{ type: { text: 'escalation-step' }, valueInteger: 1 }],
  };
}

const put = (
  token: string,
  body: { resourceType: string; id: string } & Record<string, unknown>,
  headers: Record<string, string> = {},
) => fhir('PUT', `${base}/${body.resourceType}/${body.id}`, token, body, headers);

describe('create-only writes (If-None-Match: *)', () => {
  it('the first write creates, a second answers 412 and changes nothing', async () => {
    const id = longId('ack');
    const first = await put(nurseA, acknowledgment(id), { 'If-None-Match': '*' });
    expect(first.status).toBe(201);
    const second = await put(nurseA, acknowledgment(id, 'Observation/x', 'Practitioner/nurse-a3'), {
      'If-None-Match': '*',
    });
    expect(second.status).toBe(412);
    const held = await fhir('GET', `${base}/Communication/${id}`, nurseA);
    expect(held.body).toMatchObject({
      sender: { reference: 'Practitioner/nurse-a2' },
      meta: { versionId: '1' },
    });
    // Without the precondition a PUT updates, as before.
    expect((await put(nurseA, acknowledgment(id))).status).toBe(200);
  });

  it('tells another ward’s resource from a missing one no better than before (404), and refuses nonsense', async () => {
    const id = longId('ack');
    expect((await put(nurseA, acknowledgment(id), { 'If-None-Match': '*' })).status).toBe(201);
    const other = await put(nurseB, { ...acknowledgment(id), subject: undefined }, { 'If-None-Match': '*' });
    expect(other.status).toBe(404);
    expect((await put(nurseA, acknowledgment(longId('ack')), { 'If-None-Match': 'W/"1"' })).status).toBe(400);
    const both = await put(nurseA, acknowledgment(longId('ack')), {
      'If-None-Match': '*',
      'If-Match': 'W/"1"',
    });
    expect(both.status).toBe(400);
  });
});

describe('who writes escalation steps', () => {
  it('a nurse of the ward issues and answers one (version-aware); no other Task', async () => {
    const id = longId('esc');
    expect((await put(nurseA, step(id), { 'If-None-Match': '*' })).status).toBe(201);
    const answered = await put(nurseA, { ...step(id), status: 'accepted' }, { 'If-Match': 'W/"1"' });
    expect(answered.status).toBe(200);
    expect((await put(nurseA, { ...step(id), status: 'rejected' }, { 'If-Match': 'W/"1"' })).status).toBe(
      412,
    );
    const other = await put(nurseA, step(longId('task'), { coding: [{ system: 'x', code: 'other' }] }));
    expect(other.status).toBe(403);
  });

  it('a nurse of another ward cannot address one to this ward’s patient', async () => {
    expect((await put(nurseB, step(longId('esc')), { 'If-None-Match': '*' })).status).toBe(403);
  });

  it('a ward workstation issues steps for its ward, and answers none', async () => {
    const ward = wardWorkstationToken();
    const id = longId('esc');
    expect((await put(ward, step(id), { 'If-None-Match': '*' })).status).toBe(201);
    expect((await put(ward, { ...step(id), status: 'accepted' }, { 'If-Match': 'W/"1"' })).status).toBe(403);
    expect((await put(ward, acknowledgment(longId('ack')))).status).toBe(403);
  });

  it('a ward workstation that loses the race for a step is told it exists (412), not refused (403)', async () => {
    const ward = wardWorkstationToken();
    const id = longId('esc');
    expect((await put(nurseA, step(id), { 'If-None-Match': '*' })).status).toBe(201);
    expect((await put(ward, step(id), { 'If-None-Match': '*' })).status).toBe(412);
    // Another ward's caller still cannot tell it exists.
    expect((await put(nurseB, step(id), { 'If-None-Match': '*' })).status).not.toBe(412);
  });
});

describe('closed-loop topics', () => {
  it('an acknowledgment record fires critical-result-acknowledged; another Communication does not', async () => {
    const sub = await createSubscription(t, nurseA, { topic: `${TOPIC}/critical-result-acknowledged` });
    const note = { ...acknowledgment(longId('note')), identifier: [{ system: 'x', value: 'y' }] };
    expect((await put(nurseA, note)).status).toBe(201);
    expect((await put(nurseA, acknowledgment(longId('ack')), { 'If-None-Match': '*' })).status).toBe(201);
    expect(await eventCount(t, nurseA, sub.id)).toBe(1);
  });

  it('an escalation step fires on being asked and on each answer, not on other changes', async () => {
    const sub = await createSubscription(t, nurseA, { topic: `${TOPIC}/critical-result-escalation` });
    const id = longId('esc');
    await put(nurseA, step(id), { 'If-None-Match': '*' });
    await put(nurseA, { ...step(id), description: 'reworded' }, { 'If-Match': 'W/"1"' });
    await put(nurseA, { ...step(id), status: 'rejected' }, { 'If-Match': 'W/"2"' });
    expect(await eventCount(t, nurseA, sub.id)).toBe(2);
  });
});

describe('the demo care team', () => {
  it('has each ward’s charge nurse and its nurses’ Group, found by role and ward', async () => {
    const query =
      'role=http://alert-monitor.local/fhir/CodeSystem/care-role|charge-nurse&location=Location/ward-a';
    const charge = await fhir('GET', `${base}/PractitionerRole?${query}`, nurseA);
    expect((charge.body.entry as Array<{ resource: { id: string } }>).map((e) => e.resource.id)).toEqual([
      'nurse-a-ward-a',
    ]);
    const group = await fhir('GET', `${base}/Group?member=PractitionerRole/nurse-a2-ward-a`, nurseA);
    const found = (group.body.entry as Array<{ resource: { id: string; member: unknown[] } }>)[0]?.resource;
    expect(found?.id).toBe('ward-a-nurses');
    expect(found?.member).toHaveLength(2);
    // A ward's team is that ward's: Ward B does not see it.
    expect((await fhir('GET', `${base}/Group/ward-a-nurses`, nurseB)).status).toBe(404);
  });
});
