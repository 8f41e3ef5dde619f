// Bad input never costs a 5xx (docs/server.md, "Input"): property-based runs over search parameters,
// ids and bodies (fast-check, seeded; FUZZ_SEED overrides), each request over HTTP on 127.0.0.1, each
// answer below 500 and an OperationOutcome when it is an error; afterwards the server still answers and
// its database is intact. FUZZ_RUNS raises the number of cases per property for a long run.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src-main/lib/sqlite.ts';
import type { TestServer } from '../helpers.ts';
import { fhir, sseSubscription, startTestServer } from '../helpers.ts';
import { patientOn } from './support.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261212);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 120);
const TYPES = [
  'Patient',
  'Observation',
  'Encounter',
  'MedicationRequest',
  'Communication',
  'Location',
  'Subscription',
];

let t: TestServer;
let base: string;
let reader: string;
let writer: string;
let admin: string;
let nurse: string;
let patient: string;
beforeAll(async () => {
  t = await startTestServer();
  base = t.server.fhirBase;
  reader = t.token('pharmacist');
  nurse = t.token('nurse-a');
  writer = t.feed();
  admin = t.token('admin');
  patient = await patientOn(base, nurse, 'ward-a');
});
afterAll(() => t.close());

/** Strings a hostile or broken client sends: any code points, percent junk, huge numbers, separators. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('%', 'E', '0', 'A', '|', ',', '&', '=', '/', ':', '-', '.', '9'),
    maxLength: 30,
  }),
  fc.constantFrom(
    '%E0%A4%A',
    '%',
    '99999999999999999999999',
    '-1',
    '1e309',
    'NaN',
    'gt2026',
    'ge2026-01-01T00:00:00Z',
    'eb9999-99-99T99:99',
    'Patient/',
    '/',
    '',
    ',,,,',
    'http://loinc.org|',
    '|2823-3',
    'x'.repeat(2000),
  ),
  fc.bigInt().map(String),
);

const searchName = fc.oneof(
  fc.constantFrom(
    '_count',
    '_offset',
    '_sort',
    '_id',
    '_lastUpdated',
    '_format',
    '_total',
    '_include',
    'patient',
    'subject',
    'code',
    'code:not',
    'category',
    'status',
    'status:not',
    'date',
    'date:gt',
    'location',
    'identifier',
    'encounter',
    'priority',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** An answer that is not a server failure: below 500, and an OperationOutcome when it is an error. */
function wellFormed(status: number, body: Record<string, unknown>): boolean {
  return status < 500 && (status < 400 || body.resourceType === 'OperationOutcome');
}

async function send(method: string, path: string, token: string, body?: unknown) {
  try {
    return await fhir(method, `${base}/${path}`, token, body);
  } catch (error) {
    // A URL fetch itself refuses to send (not the server's doing) proves nothing either way.
    if (error instanceof TypeError && /URL|header/i.test(error.message)) return null;
    throw error;
  }
}

describe('no 5xx on bad input (property-based)', () => {
  it('search parameters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TYPES),
        fc.array(fc.tuple(searchName, nasty), { maxLength: 4 }),
        async (type, pairs) => {
          const query = pairs.map(([name, value]) => `${name}=${value}`).join('&');
          const res = await send('GET', `${type}?${query}`, reader);
          if (res) expect(wellFormed(res.status, res.body), `${type}?${query} → ${res.status}`).toBe(true);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it('ids in the path of every interaction', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TYPES), nasty, fc.boolean(), async (type, id, encode) => {
        const segment = encode ? encodeURIComponent(id) : id.replace(/[/?#\s]/g, '');
        const body = { resourceType: type, id, status: 'final', code: {} };
        for (const [method, path, token] of [
          ['GET', `${type}/${segment}`, reader],
          ['GET', `${type}/${segment}/_history`, reader],
          ['GET', `${type}/${segment}/_history/${segment}`, reader],
          ['PUT', `${type}/${segment}`, writer],
          ['DELETE', `${type}/${segment}`, writer],
        ] as const) {
          const res = await send(method, path, token, method === 'PUT' ? body : undefined);
          if (res) expect(wellFormed(res.status, res.body), `${method} ${path} → ${res.status}`).toBe(true);
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  }, 120_000);

  it('bodies: any JSON, resource-shaped JSON with hostile fields, and deep nesting', async () => {
    const resourceShaped = fc.record({
      resourceType: fc.constantFrom(...TYPES),
      status: fc.oneof(fc.constantFrom('final', 'completed', 'requested'), fc.jsonValue()),
      code: fc.oneof(fc.constant({}), fc.jsonValue()),
      subject: fc.oneof(
        fc.constant({ reference: `Patient/${patient}` }),
        nasty.map((reference) => ({ reference })),
        fc.jsonValue(),
      ),
      meta: fc.oneof(
        fc.jsonValue(),
        nasty.map((code) => ({ security: [{ system: 'x', code }] })),
      ),
      criteria: fc.oneof(
        nasty,
        fc.constant('http://alert-monitor.local/fhir/SubscriptionTopic/critical-lab-result'),
      ),
      channel: fc.oneof(fc.jsonValue(), fc.constant({ type: 'websocket' })),
    });
    const deep = fc
      .integer({ min: 60, max: 5000 })
      .map(
        (depth) =>
          `{"resourceType":"Communication","status":"completed","x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TYPES),
        fc.oneof(fc.jsonValue(), resourceShaped, deep),
        async (type, body) => {
          const token =
            type === 'Location'
              ? admin
              : type === 'Subscription' || type === 'Communication'
                ? nurse
                : writer;
          const res = await send('POST', type, token, body);
          if (res) expect(wellFormed(res.status, res.body), `POST ${type} → ${res.status}`).toBe(true);
        },
      ),
      { seed: SEED + 2, numRuns: RUNS },
    );
  }, 120_000);

  it('subscription filter criteria', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(searchName, nasty), { minLength: 1, maxLength: 3 }),
        async (pairs) => {
          const filter = pairs.map(([name, value]) => `${name}=${value}`).join('&');
          const res = await send('POST', 'Subscription', nurse, sseSubscription({ filter }));
          if (res) expect(wellFormed(res.status, res.body), `filter ${filter} → ${res.status}`).toBe(true);
        },
      ),
      { seed: SEED + 3, numRuns: RUNS },
    );
  }, 120_000);

  it('leaves a server that still answers, with an intact database', async () => {
    expect((await fhir('GET', `${base}/metadata`, null)).status).toBe(200);
    expect((await fhir('GET', `${base}/Patient/${patient}`, nurse)).status).toBe(200);
    const db = openDatabase(t.dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
