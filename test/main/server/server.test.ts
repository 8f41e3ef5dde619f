import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../src-main/server/server.ts';
import type { TestServer } from './helpers.ts';
import { fhir, startTestServer } from './helpers.ts';

describe('startServer', () => {
  it('binds 127.0.0.1 on an ephemeral port and closes cleanly', async () => {
    const t = await startTestServer({ simulate: false });
    expect(t.server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.server.fhirBase).toBe(`${t.server.origin}/fhir`);
    expect(t.server.simulator).toBeNull();
    const res = await fetch(`${t.server.fhirBase}/metadata`);
    expect(res.status).toBe(200);
    await t.close();
    await expect(fetch(`${t.server.fhirBase}/metadata`)).rejects.toThrow();
  });

  it('rejects with an error naming the port when it is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    await expect(startServer({ port, dbPath: ':memory:' })).rejects.toThrow(String(port));
    blocker.close();
  });
});

describe('FHIR REST', () => {
  let t: TestServer;
  let nurseA: string;
  let nurseB: string;
  beforeAll(async () => {
    t = await startTestServer();
    nurseA = t.token('nurse-a');
    nurseB = t.token('nurse-b');
  });
  afterAll(() => t.close());

  it('serves a CapabilityStatement declaring backport conformance and every topic', async () => {
    const res = await fhir('GET', `${t.server.fhirBase}/metadata`, null);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.instantiates).toContain(
      'http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4',
    );
    const rest = res.body.rest as {
      resource: { type: string; extension?: { url: string; valueCanonical: string }[] }[];
    }[];
    const sub = rest[0]?.resource.find((r) => r.type === 'Subscription');
    const topics = sub?.extension?.filter((e) =>
      e.url.endsWith('capabilitystatement-subscriptiontopic-canonical'),
    );
    expect(topics?.map((e) => e.valueCanonical)).toContain(
      'http://alert-monitor.local/fhir/SubscriptionTopic/critical-lab-result',
    );
  });

  it('answers 401 with an OperationOutcome and WWW-Authenticate without a valid token', async () => {
    for (const token of [null, 'at_not-a-real-token']) {
      const res = await fhir('GET', `${t.server.fhirBase}/Patient`, token);
      expect(res.status).toBe(401);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    }
  });

  it('answers 403 when the scopes do not cover the interaction', async () => {
    const readOnly = t.token('nurse-a', ['user/Observation.rs']);
    const res = await fhir('GET', `${t.server.fhirBase}/Patient`, readOnly);
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const write = await fhir('POST', `${t.server.fhirBase}/Observation`, readOnly, {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
    });
    expect(write.status).toBe(403);
  });

  it('creates, reads, updates with versions and ETags, vreads, deletes and keeps history', async () => {
    // Patients come from the ADT feed; a nurse never writes one (docs/auth.md, "Roles").
    const feedA = t.feed(['ward-a']);
    const created = await fhir('POST', `${t.server.fhirBase}/Patient`, feedA, {
      resourceType: 'Patient',
      meta: { security: [{ system: 'http://alert-monitor.local/fhir/CodeSystem/ward', code: 'ward-a' }] },
      name: [{ family: 'Test' }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('location')).toBe(`${t.server.fhirBase}/Patient/${id}/_history/1`);
    expect((created.body.meta as { versionId: string }).versionId).toBe('1');

    const stale = await fhir(
      'PUT',
      `${t.server.fhirBase}/Patient/${id}`,
      feedA,
      { ...created.body, gender: 'male' },
      {
        'if-match': 'W/"7"',
      },
    );
    expect(stale.status).toBe(412);
    const updated = await fhir(
      'PUT',
      `${t.server.fhirBase}/Patient/${id}`,
      feedA,
      { ...created.body, gender: 'male' },
      {
        'if-match': 'W/"1"',
      },
    );
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('W/"2"');

    const v1 = await fhir('GET', `${t.server.fhirBase}/Patient/${id}/_history/1`, feedA);
    expect(v1.body.gender).toBeUndefined();
    const deleted = await fhir('DELETE', `${t.server.fhirBase}/Patient/${id}`, feedA);
    expect(deleted.status).toBe(204);
    const gone = await fhir('GET', `${t.server.fhirBase}/Patient/${id}`, feedA);
    expect(gone.status).toBe(410);
    const history = await fhir('GET', `${t.server.fhirBase}/Patient/${id}/_history`, feedA);
    expect(history.body.total).toBe(3);
  });

  it('accepts application/json and application/fhir+json; rejects bad bodies with OperationOutcomes', async () => {
    // The directory is written by an administrator, clinical data by a feed.
    const admin = t.token('admin');
    const feed = t.feed();
    const asJson = await fhir(
      'POST',
      `${t.server.fhirBase}/Practitioner`,
      admin,
      { resourceType: 'Practitioner', name: [{ text: 'J' }] },
      { 'content-type': 'application/json' },
    );
    expect(asJson.status).toBe(201);
    const malformed = await fhir('POST', `${t.server.fhirBase}/Practitioner`, admin, '{"resourceType":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.resourceType).toBe('OperationOutcome');
    const wrongType = await fhir('POST', `${t.server.fhirBase}/Practitioner`, admin, {
      resourceType: 'Patient',
    });
    expect(wrongType.status).toBe(400);
    const missing = await fhir('POST', `${t.server.fhirBase}/Observation`, feed, {
      resourceType: 'Observation',
    });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('status');
    const huge = await fhir('POST', `${t.server.fhirBase}/Practitioner`, admin, {
      resourceType: 'Practitioner',
      text: 'x'.repeat(1024 * 1024 + 10),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.resourceType).toBe('OperationOutcome');
    const unknownType = await fhir('GET', `${t.server.fhirBase}/Goal`, nurseA);
    expect(unknownType.status).toBe(404);
    expect(unknownType.body.resourceType).toBe('OperationOutcome');
    // The server keeps serving after bad input.
    expect((await fhir('GET', `${t.server.fhirBase}/Practitioner/nurse-a`, nurseA)).status).toBe(200);
  });

  it('searches with supported parameters and rejects unknown ones with 400', async () => {
    const sim = t.server.simulator;
    if (!sim) throw new Error('simulator expected');
    const obs = sim.emitCriticalPotassium('ward-a');
    const subject = (obs.subject as { reference: string }).reference;
    const byCode = await fhir(
      'GET',
      `${t.server.fhirBase}/Observation?patient=${subject}&code=http://loinc.org|2823-3&category=laboratory&_sort=-_lastUpdated&_count=5`,
      nurseA,
    );
    expect(byCode.status).toBe(200);
    const entries = byCode.body.entry as { resource: { id: string } }[];
    expect(entries[0]?.resource.id).toBe(obs.id);
    const unknown = await fhir('GET', `${t.server.fhirBase}/Observation?colour=blue`, nurseA);
    expect(unknown.status).toBe(400);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    const dated = await fhir(
      'GET',
      `${t.server.fhirBase}/Observation?_lastUpdated=gt2000-01-01&_count=1`,
      nurseA,
    );
    expect(dated.body.total).toBeGreaterThan(0);
    const topics = await fhir(
      'GET',
      `${t.server.fhirBase}/Basic?code=http://hl7.org/fhir/fhir-types|SubscriptionTopic`,
      nurseA,
    );
    // Six clinical topics, the two of the closed loop across workstations, order verification and the
    // prescriber's answer.
    expect(topics.body.total).toBe(10);
  });

  it('hides other wards: reads are 404 and searches exclude them', async () => {
    const a = t.server.simulator?.census('ward-a')[0];
    if (!a) throw new Error('census expected');
    expect((await fhir('GET', `${t.server.fhirBase}/Patient/${a.patientId}`, nurseA)).status).toBe(200);
    expect((await fhir('GET', `${t.server.fhirBase}/Patient/${a.patientId}`, nurseB)).status).toBe(404);
    const bSearch = await fhir('GET', `${t.server.fhirBase}/Patient?_count=1000`, nurseB);
    const wards = (bSearch.body.entry as { resource: { meta: { security: { code: string }[] } } }[]).map(
      (e) => e.resource.meta.security[0]?.code,
    );
    expect(wards.length).toBeGreaterThan(0);
    expect(new Set(wards)).toEqual(new Set(['ward-b']));
    const write = await fhir('POST', `${t.server.fhirBase}/Observation`, nurseB, {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      meta: { security: [{ system: 'http://alert-monitor.local/fhir/CodeSystem/ward', code: 'ward-a' }] },
    });
    expect(write.status).toBe(403);
  });
});
