// The ward rules on writes (docs/server.md, "Write rules"), one test per rule, black-box over HTTP:
// clinical data takes its patient's ward; a reference to a patient outside the grant, labels outside
// the grant, stripping labels and unlabelled clinical data are refused; the shared directory is written
// only by an administrator; and a write can never tell another ward's resource from a missing one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.ts';
import { fhir, startTestServer } from '../helpers.ts';
import { criticalPotassium, labelsOf, patientOn, searchIds, wardLabel } from './support.ts';

let t: TestServer;
let base: string;
let labBoth: string;
let labA: string;
let labB: string;
let nurseA: string;
let nurseB: string;
let patientA: string;
let patientB: string;
beforeAll(async () => {
  t = await startTestServer();
  base = t.server.fhirBase;
  labBoth = t.feed(['ward-a', 'ward-b']);
  labA = t.feed(['ward-a']);
  labB = t.feed(['ward-b']);
  nurseA = t.token('nurse-a');
  nurseB = t.token('nurse-b');
  patientA = await patientOn(base, nurseA, 'ward-a');
  patientB = await patientOn(base, nurseB, 'ward-b');
});
afterAll(() => t.close());

const issue = (body: Record<string, unknown>): string =>
  ((body.issue as { diagnostics?: string }[] | undefined)?.[0]?.diagnostics ?? '').trim();

describe('clinical data takes the ward of its patient', () => {
  it('an Observation posted without labels is stored with its patient’s ward', async () => {
    const res = await fhir('POST', `${base}/Observation`, labBoth, criticalPotassium(patientA));
    expect(res.status).toBe(201);
    expect(labelsOf(res.body)).toEqual(['ward-a']);
    expect((await fhir('GET', `${base}/Observation/${String(res.body.id)}`, nurseA)).status).toBe(200);
    expect((await fhir('GET', `${base}/Observation/${String(res.body.id)}`, nurseB)).status).toBe(404);
  });

  it('a client’s own ward label does not override the patient’s ward', async () => {
    const res = await fhir(
      'POST',
      `${base}/Observation`,
      labBoth,
      criticalPotassium(patientA, { meta: { security: [wardLabel('ward-b')] } }),
    );
    expect(res.status).toBe(201);
    expect(labelsOf(res.body)).toEqual(['ward-a']);
  });

  it('an update that moves the subject to another of the caller’s wards moves the labels with it', async () => {
    const created = await fhir('POST', `${base}/Observation`, labBoth, criticalPotassium(patientA));
    const id = String(created.body.id);
    const moved = await fhir('PUT', `${base}/Observation/${id}`, labBoth, {
      ...criticalPotassium(patientB),
      id,
    });
    expect(moved.status).toBe(200);
    expect(labelsOf(moved.body)).toEqual(['ward-b']);
  });
});

describe('writes outside the grant are refused', () => {
  it('referencing a patient of another ward and referencing no such patient give the same 403', async () => {
    const foreign = await fhir('POST', `${base}/Observation`, labB, criticalPotassium(patientA));
    const missing = await fhir('POST', `${base}/Observation`, labB, criticalPotassium('no-such-patient'));
    expect([foreign.status, missing.status]).toEqual([403, 403]);
    expect(issue(foreign.body)).toBe(issue(missing.body));
    // The same holds for a patient named anywhere in the resource, not only in subject.
    const elsewhere = await fhir('POST', `${base}/Observation`, labB, {
      ...criticalPotassium(patientB),
      focus: [{ reference: `${base}/Patient/${patientA}` }],
    });
    expect(elsewhere.status).toBe(403);
  });

  it('labels outside the grant are refused', async () => {
    const patient = (await fhir('GET', `${base}/Patient/${patientA}`, labA)).body;
    const res = await fhir('PUT', `${base}/Patient/${patientA}`, labA, {
      ...patient,
      meta: { security: [wardLabel('ward-b')] },
    });
    expect(res.status).toBe(403);
    expect(labelsOf((await fhir('GET', `${base}/Patient/${patientA}`, nurseA)).body)).toEqual(['ward-a']);
  });

  it('an update that strips the ward labels is refused', async () => {
    const patient = (await fhir('GET', `${base}/Patient/${patientA}`, labA)).body;
    const res = await fhir('PUT', `${base}/Patient/${patientA}`, labA, { ...patient, meta: {} });
    expect(res.status).toBe(403);
    expect(issue(res.body)).toMatch(/remove/);
    expect(labelsOf((await fhir('GET', `${base}/Patient/${patientA}`, nurseA)).body)).toEqual(['ward-a']);
  });

  it('a clinical resource with neither a patient nor a ward label is never stored', async () => {
    const before = await searchIds(base, labBoth, 'Observation?code=http://loinc.org|1-8&_count=1000');
    const res = await fhir('POST', `${base}/Observation`, labBoth, {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '1-8' }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await searchIds(base, labBoth, 'Observation?code=http://loinc.org|1-8&_count=1000')).toEqual(
      before,
    );
  });
});

describe('the acknowledgment write-back the app makes', () => {
  const acknowledgment = (id: string, patient: string) => ({
    resourceType: 'Communication',
    id,
    status: 'completed',
    subject: { reference: `Patient/${patient}` },
    payload: [{ contentString: 'Critical result acknowledged' }],
  });

  it('a nurse records an acknowledgment for her patient, kept on her ward', async () => {
    const id = `ack-${randomUUID().replace(/-/g, '')}`;
    const res = await fhir('PUT', `${base}/Communication/${id}`, nurseA, acknowledgment(id, patientA));
    expect(res.status).toBe(201);
    expect(labelsOf(res.body)).toEqual(['ward-a']);
    expect((await fhir('GET', `${base}/Communication/${id}`, nurseB)).status).toBe(404);
    const again = await fhir('PUT', `${base}/Communication/${id}`, nurseA, acknowledgment(id, patientA));
    expect(again.status).toBe(200);
  });

  it('not for a patient of another ward', async () => {
    const id = `ack-${randomUUID().replace(/-/g, '')}`;
    const res = await fhir('PUT', `${base}/Communication/${id}`, nurseB, acknowledgment(id, patientA));
    expect(res.status).toBe(403);
  });
});

describe('the shared directory', () => {
  it('is written by an administrator and read by every ward', async () => {
    const admin = t.token('admin', ['user/*.cruds']);
    const ward = await fhir('GET', `${base}/Location/ward-a`, admin);
    const renamed = await fhir('PUT', `${base}/Location/ward-a`, admin, { ...ward.body, alias: ['A'] });
    expect(renamed.status).toBe(200);
    for (const reader of [nurseA, nurseB, labBoth]) {
      expect((await fhir('GET', `${base}/Location/ward-a`, reader)).body.alias).toEqual(['A']);
    }
    const organization = await fhir('POST', `${base}/Organization`, admin, {
      resourceType: 'Organization',
      name: 'General Hospital',
    });
    expect(organization.status).toBe(201);
  });

  it('never with a wildcard scope, and never with a ward label', async () => {
    for (const type of ['Practitioner', 'PractitionerRole', 'Location', 'Organization']) {
      const res = await fhir('POST', `${base}/${type}`, labBoth, { resourceType: type });
      expect(res.status).toBe(403);
    }
    const admin = t.token('admin', ['user/*.cruds']);
    const labelled = await fhir('POST', `${base}/Location`, admin, {
      resourceType: 'Location',
      meta: { security: [wardLabel('ward-a')] },
    });
    expect(labelled.status).toBe(403);
  });
});

describe('write answers reveal nothing about other wards', () => {
  it('PUT, DELETE and PUT-as-create: another ward’s id, a missing id and a deleted one answer alike', async () => {
    const wardA = t.server.simulator?.emitCriticalPotassium('ward-a');
    const deleted = await fhir('POST', `${base}/Observation`, labA, criticalPotassium(patientA));
    expect((await fhir('DELETE', `${base}/Observation/${String(deleted.body.id)}`, labA)).status).toBe(204);
    const targets = [String(wardA?.id), 'never-there', String(deleted.body.id)];
    for (const method of ['PUT', 'DELETE'] as const) {
      const answers = [];
      for (const id of targets) {
        const res = await fhir(method, `${base}/Observation/${id}`, labB, {
          ...criticalPotassium(patientB),
          id,
        });
        answers.push(`${res.status} ${issue(res.body).replace(id, '<id>')}`);
      }
      expect(new Set(answers).size).toBe(1);
      expect(answers[0]).toMatch(/^404 /);
    }
    // Reading a deleted resource of another ward is a 404 too, not a 410.
    expect((await fhir('GET', `${base}/Observation/${String(deleted.body.id)}`, labB)).status).toBe(404);
    expect((await fhir('GET', `${base}/Observation/${String(deleted.body.id)}`, labA)).status).toBe(410);
  });

  it('creating at a client-chosen id needs an unguessable one (32+ characters)', async () => {
    const long = randomUUID();
    const created = await fhir('PUT', `${base}/Observation/${long}`, labB, {
      ...criticalPotassium(patientB),
      id: long,
    });
    expect(created.status).toBe(201);
    const short = await fhir('PUT', `${base}/Observation/obs-1`, labB, {
      ...criticalPotassium(patientB),
      id: 'obs-1',
    });
    expect(short.status).toBe(404);
  });

  it('a write-only feed updates its own ward’s data and finds nothing of another ward’s', async () => {
    const writeOnly = t.feed(['ward-b'], ['system/Observation.cu']);
    const own = await fhir('POST', `${base}/Observation`, writeOnly, criticalPotassium(patientB));
    expect(own.status).toBe(201);
    const id = String(own.body.id);
    const updated = await fhir('PUT', `${base}/Observation/${id}`, writeOnly, {
      ...criticalPotassium(patientB),
      id,
      status: 'amended',
    });
    expect(updated.status).toBe(200);
    const foreign = t.server.simulator?.emitCriticalPotassium('ward-a');
    const put = await fhir('PUT', `${base}/Observation/${String(foreign?.id)}`, writeOnly, {
      ...criticalPotassium(patientB),
      id: foreign?.id,
    });
    expect(put.status).toBe(404);
  });

  it('a caller without the write permission gets 403 whatever the id', async () => {
    const real = t.server.simulator?.emitCriticalPotassium('ward-a');
    for (const id of [String(real?.id), 'never-there']) {
      expect((await fhir('DELETE', `${base}/Observation/${id}`, nurseA)).status).toBe(403);
    }
  });
});
