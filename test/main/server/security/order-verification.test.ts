// Order verification on the embedded server (docs/pharmacy.md), black-box over HTTP: only a pharmacist
// writes a verification Task or a DetectedIssue, only about an order she can see; the record takes the
// patient's ward; the order-verification topic fires once per decision (a retried PUT of the same
// decision is no new event); the clarification-answered topic fires for an answer, not for a question.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLARIFICATION_ANSWERED_TOPIC,
  ORDER_VERIFICATION_TOPIC,
} from '../../../../src-main/server/topics/definitions.ts';
import type { TestServer } from '../helpers.ts';
import { createSubscription, eventCount, fhir, startTestServer } from '../helpers.ts';
import { eventually, labelsOf, searchIds } from './support.ts';

let t: TestServer;
let base: string;
let pharmacist: string;
let nurseA: string;
let orderA: { id: string; patient: string };

const taskId = () => `verify-${randomUUID().replaceAll('-', '')}`;

function verifyTask(id: string, order: { id: string; patient: string }, status = 'completed') {
  return {
    resourceType: 'Task',
    id,
    status,
    intent: 'order',
    code: { coding: [{ system: 'http://alert-monitor.local/fhir/CodeSystem/task-code', code: 'verify' }] },
    focus: { reference: `MedicationRequest/${order.id}` },
    for: { reference: `Patient/${order.patient}` },
    owner: { reference: 'Practitioner/pharmacist' },
  };
}

beforeAll(async () => {
  t = await startTestServer({ simulate: { seed: 42, pharmacyDemo: true } });
  base = t.server.fhirBase;
  pharmacist = t.token('pharmacist');
  nurseA = t.token('nurse-a');
  const [id] = await searchIds(base, pharmacist, 'MedicationRequest?location=Location/ward-a&status=active');
  const order = await fhir('GET', `${base}/MedicationRequest/${String(id)}`, pharmacist);
  const subject = (order.body.subject as { reference: string }).reference;
  orderA = { id: String(id), patient: subject.replace('Patient/', '') };
});
afterAll(() => t.close());

describe('who may write order-verification records', () => {
  it('a pharmacist writes a verification Task, stored with the patient’s ward', async () => {
    const id = taskId();
    const res = await fhir('PUT', `${base}/Task/${id}`, pharmacist, verifyTask(id, orderA));
    expect(res.status).toBe(201);
    expect(labelsOf(res.body)).toEqual(['ward-a']);
  });

  it('a nurse may not write a Task or a DetectedIssue (her role holds no such scope)', async () => {
    const id = taskId();
    const task = await fhir('PUT', `${base}/Task/${id}`, nurseA, verifyTask(id, orderA));
    expect(task.status).toBe(403);
    const issue = await fhir('POST', `${base}/DetectedIssue`, nurseA, {
      resourceType: 'DetectedIssue',
      status: 'final',
      patient: { reference: `Patient/${orderA.patient}` },
      implicated: [{ reference: `MedicationRequest/${orderA.id}` }],
    });
    expect(issue.status).toBe(403);
  });

  it('a Task or DetectedIssue about an order the pharmacist cannot see is refused like an unknown one', async () => {
    const id = taskId();
    const unknown = await fhir(
      'PUT',
      `${base}/Task/${id}`,
      pharmacist,
      verifyTask(id, { ...orderA, id: 'no-such-order' }),
    );
    expect(unknown.status).toBe(403);
    const issue = await fhir('POST', `${base}/DetectedIssue`, pharmacist, {
      resourceType: 'DetectedIssue',
      status: 'final',
      patient: { reference: `Patient/${orderA.patient}` },
      implicated: [{ reference: 'MedicationRequest/no-such-order' }],
    });
    expect(issue.status).toBe(403);
  });
});

describe('the order-verification topic', () => {
  it('fires when a decision is written and when its status changes, not when the same one is re-sent', async () => {
    const sub = await createSubscription(t, pharmacist, { topic: ORDER_VERIFICATION_TOPIC });
    const id = taskId();
    const put = (status: string) =>
      fhir('PUT', `${base}/Task/${id}`, pharmacist, verifyTask(id, orderA, status));
    expect((await put('on-hold')).status).toBe(201);
    await eventually(async () => (await eventCount(t, pharmacist, sub.id)) === 1, 'the first event');
    expect((await put('on-hold')).status).toBe(200);
    expect((await put('completed')).status).toBe(200);
    await eventually(async () => (await eventCount(t, pharmacist, sub.id)) === 2, 'the status change');
    // The re-sent identical decision in between added nothing: exactly two events.
    expect(await eventCount(t, pharmacist, sub.id)).toBe(2);
  });
});

describe('the order-clarification-answered topic', () => {
  it('fires for a Communication in response to a question about an order, not for the question', async () => {
    const sub = await createSubscription(t, pharmacist, { topic: CLARIFICATION_ANSWERED_TOPIC });
    const message = (id: string, extra: Record<string, unknown>) => ({
      resourceType: 'Communication',
      id,
      status: 'completed',
      subject: { reference: `Patient/${orderA.patient}` },
      about: [{ reference: `MedicationRequest/${orderA.id}` }],
      payload: [{ contentString: 'words' }],
      ...extra,
    });
    const question = `q-${randomUUID()}`;
    expect(
      (await fhir('PUT', `${base}/Communication/${question}`, pharmacist, message(question, {}))).status,
    ).toBe(201);
    const answer = `a-${randomUUID()}`;
    const reply = message(answer, { inResponseTo: [{ reference: `Communication/${question}` }] });
    expect((await fhir('PUT', `${base}/Communication/${answer}`, pharmacist, reply)).status).toBe(201);
    await eventually(async () => (await eventCount(t, pharmacist, sub.id)) === 1, 'the answer event');
    // A reply about no order (an acknowledgment's thread) is not one.
    const other = `o-${randomUUID()}`;
    const unrelated = message(other, {
      about: [{ reference: 'Observation/x' }],
      inResponseTo: [{ reference: `Communication/${question}` }],
    });
    expect((await fhir('PUT', `${base}/Communication/${other}`, pharmacist, unrelated)).status).toBe(201);
    expect((await fhir('PUT', `${base}/Communication/${answer}`, pharmacist, reply)).status).toBe(200);
    // Events are numbered in the write's own transaction: counted after the answers, nothing was added.
    expect(await eventCount(t, pharmacist, sub.id)).toBe(1);
  });
});
