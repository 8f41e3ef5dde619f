// Creating a shared record exactly once on two kinds of server, over real loopback HTTP: the embedded
// server (create-only PUT of a derived id) and the stand-in for Medplum 5.0.10 (test/support/fhir-peer.ts:
// UUID ids only, `updateCreate: false`, conditional create), each with two writers racing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCapabilityCache, readCapabilities } from '../../../../src-main/core/fhir/capabilities.ts';
import { createOnce, createOnceWay, identifierToken } from '../../../../src-main/core/fhir/create-once.ts';
import { upsertWay } from '../../../../src-main/core/fhir/upsert.ts';
import type { FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { startFhirPeer, TOKEN, type FhirPeer } from '../../../support/fhir-peer.ts';
import { startTestServer, type TestServer } from '../../server/helpers.ts';
import { patientOn } from '../../server/security/support.ts';

const ACK = 'urn:alert-monitor:acknowledgment';

const accessTo = (fhirBase: string, token: string): FhirAccess => ({
  fhirBase,
  accessToken: async () => token,
  onUnauthorized: async () => false,
});

function acknowledgment(focus: string, sender: string, patient?: string) {
  return {
    resourceType: 'Communication',
    id: `ack-${randomUUID().replace(/-/g, '')}`,
    identifier: [{ system: ACK, value: focus }],
    status: 'completed',
    ...(patient ? { subject: { reference: patient } } : {}),
    about: [{ reference: focus }],
    sent: new Date().toISOString(),
    sender: { reference: sender },
  };
}

const senderOf = (resource: unknown) =>
  (resource as { sender?: { reference?: string } } | null)?.sender?.reference;

describe('what a CapabilityStatement says about creating once', () => {
  it('reads the per-type flags, and treats anything unreadable as not said', () => {
    const read = readCapabilities({
      rest: [
        {
          resource: [
            {
              type: 'Communication',
              interaction: [{ code: 'update' }, { code: 'create' }],
              updateCreate: false,
              conditionalCreate: true,
              conditionalUpdate: true,
            },
            { type: 'Task', interaction: 'update', updateCreate: 'no' },
            { type: 7 },
          ],
        },
      ],
    });
    expect(read.of('Communication')).toEqual({
      update: true,
      create: true,
      updateCreate: false,
      conditionalCreate: true,
      conditionalUpdate: true,
    });
    expect(read.of('Task')).toEqual({
      update: false,
      create: false,
      updateCreate: null,
      conditionalCreate: null,
      conditionalUpdate: null,
    });
    expect(read.of('AuditEvent')).toBeNull();
    expect(readCapabilities('not a statement').of('Communication')).toBeNull();
    expect(createOnceWay(read.of('Communication'))).toBe('conditional-create');
    // A server that does not say keeps the create-only PUT (the embedded server's way).
    expect(createOnceWay(read.of('Task'))).toBe('create-only-put');
    expect(createOnceWay(null)).toBe('create-only-put');
    expect(upsertWay(read.of('Communication'))).toBe('conditional-update');
    expect(upsertWay(read.of('Task'))).toBe('put-by-id');
  });
});

describe('an identifier as a search token', () => {
  it('escapes what FHIR search would read as syntax, so the value is matched as written', () => {
    expect(identifierToken({ system: 'urn:x', value: 'MedicationRequest/1|rule:a,b$c\\d' })).toBe(
      'urn:x|MedicationRequest/1\\|rule:a\\,b\\$c\\\\d',
    );
  });
});

describe('against a server that behaves like Medplum', () => {
  let peer: FhirPeer;
  beforeAll(async () => {
    peer = await startFhirPeer();
  });
  afterAll(() => peer.close());

  it('chooses conditional create from its CapabilityStatement', async () => {
    const server = await createCapabilityCache().get(accessTo(peer.base, TOKEN));
    expect(createOnceWay(server.of('Communication'))).toBe('conditional-create');
    expect(createOnceWay(server.of('Task'))).toBe('conditional-create');
  });

  it('refuses the create-only PUT of a derived id (what the write-back did before), so it is not used there', async () => {
    const record = acknowledgment('Observation/put-refused', 'Practitioner/nurse-1');
    await expect(
      createOnce(
        accessTo(peer.base, TOKEN),
        record,
        { system: ACK, value: 'Observation/put-refused' },
        'create-only-put',
      ),
    ).rejects.toThrow(/400: Invalid id/);
  });

  it('two writers racing: one creates, the other gets the record the server holds, and there is one', async () => {
    const focus = `Observation/${randomUUID()}`;
    const identifier = { system: ACK, value: focus };
    const access = accessTo(peer.base, TOKEN);
    const [first, second] = await Promise.all([
      createOnce(access, acknowledgment(focus, 'Practitioner/nurse-1'), identifier, 'conditional-create'),
      createOnce(access, acknowledgment(focus, 'Practitioner/nurse-2'), identifier, 'conditional-create'),
    ]);
    expect([first.outcome, second.outcome].sort()).toEqual(['created', 'held']);
    expect(second.reference).toBe(first.reference);
    expect(first.reference).toMatch(/^Communication\/[0-9a-f-]{36}$/); // the server's id, not ours
    expect(senderOf(second.resource)).toBe(senderOf(first.resource));
    const posts = peer.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Communication'));
    expect(posts.at(-1)?.headers['if-none-exist']).toBe(
      new URLSearchParams({ identifier: `${ACK}|${focus}` }).toString(),
    );
  });

  it('an escalation identifier with "#" in it survives the header and the search', async () => {
    const value = `Observation/${randomUUID()}#step-1`;
    const task = {
      resourceType: 'Task',
      id: 'esc-derived',
      status: 'requested',
      intent: 'order',
      identifier: [{ system: 'urn:alert-monitor:escalation-step', value }],
    };
    const identifier = { system: 'urn:alert-monitor:escalation-step', value };
    const access = accessTo(peer.base, TOKEN);
    const made = await createOnce(access, task, identifier, 'conditional-create');
    const again = await createOnce(access, task, identifier, 'conditional-create');
    expect([made.outcome, again.outcome]).toEqual(['created', 'held']);
    expect(again.reference).toBe(made.reference);
  });
});

describe('against the embedded server', () => {
  let t: TestServer;
  let nurseA: string;
  let nurseA2: string;
  let patient: string;
  beforeAll(async () => {
    t = await startTestServer();
    nurseA = t.token('nurse-a');
    nurseA2 = t.token('nurse-a2');
    patient = `Patient/${await patientOn(t.server.fhirBase, nurseA, 'ward-a')}`;
  });
  afterAll(() => t.close());

  it('creates with a create-only PUT of the derived id; the second writer reads the first one', async () => {
    const base = t.server.fhirBase;
    const server = await createCapabilityCache().get(accessTo(base, nurseA));
    expect(createOnceWay(server.of('Communication'))).toBe('create-only-put');
    const focus = `Observation/${randomUUID()}`;
    const identifier = { system: ACK, value: focus };
    const first = acknowledgment(focus, 'Practitioner/nurse-a', patient);
    const second = { ...acknowledgment(focus, 'Practitioner/nurse-a2', patient), id: first.id };
    const [a, b] = await Promise.all([
      createOnce(accessTo(base, nurseA), first, identifier, 'create-only-put'),
      createOnce(accessTo(base, nurseA2), second, identifier, 'create-only-put'),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['created', 'held']);
    expect(a.reference).toBe(`Communication/${first.id}`);
    expect(b.reference).toBe(a.reference);
    const winner = a.outcome === 'created' ? a : b;
    const loser = a.outcome === 'created' ? b : a;
    expect(senderOf(loser.resource)).toBe(senderOf(winner.resource));
  });
});
