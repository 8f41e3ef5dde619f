// Randomized "no cross-ward leak": random writes with random ward labels through REST and the
// simulator; every event delivered, every $events entry, every read and search result a nurse gets
// must lie within her ward, and she must get exactly the events her ward produced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARD_LABEL_SYSTEM } from '../../../src-main/server/base/authz.ts';
import { createRandom } from '../../../src-main/server/simulator/random.ts';
import { TOPIC_BASE } from '../../../src-main/server/topics/definitions.ts';
import type { SseConnection, TestServer } from './helpers.ts';
import { createSubscription, events, fhir, focusOf, openSse, startTestServer } from './helpers.ts';

const LABEL_SETS: string[][] = [[], ['ward-a'], ['ward-b'], ['ward-a', 'ward-b']];

describe('no cross-ward leak (randomized)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: each nurse sees only her ward in events, $events, reads and searches`, async () => {
      const random = createRandom(seed);
      // The laboratory interface of both wards writes; nurses and pharmacists do not write Observations.
      const lab = t.feed(['ward-a', 'ward-b']);
      const nurses = { 'nurse-a': 'ward-a', 'nurse-b': 'ward-b' } as const;
      const streams: Record<string, { token: string; id: string; conn: SseConnection }> = {};
      for (const nurse of Object.keys(nurses)) {
        const token = t.token(nurse);
        const sub = await createSubscription(t, token, { topic: `${TOPIC_BASE}/critical-lab-result` });
        streams[nurse] = {
          token,
          id: sub.id,
          conn: await openSse(sub.endpoint, { authorization: `Bearer ${token}` }),
        };
      }
      const expected: Record<string, string[]> = { 'nurse-a': [], 'nurse-b': [] };
      for (let i = 0; i < 60; i += 1) {
        if (random.chance(0.3)) {
          const ward = random.pick(['ward-a', 'ward-b']);
          const obs = t.server.simulator?.emitCriticalPotassium(ward);
          if (obs) expected[ward === 'ward-a' ? 'nurse-a' : 'nurse-b']?.push(obs.id);
          continue;
        }
        const labels = random.pick(LABEL_SETS);
        const critical = random.chance(0.7);
        const res = await fhir('POST', `${t.server.fhirBase}/Observation`, lab, {
          resourceType: 'Observation',
          meta: { security: labels.map((code) => ({ system: WARD_LABEL_SYSTEM, code })) },
          status: 'final',
          category: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
              ],
            },
          ],
          code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }] },
          valueQuantity: { value: critical ? 6.9 : 4.2, unit: 'mmol/L' },
          interpretation: [{ coding: [{ code: critical ? 'HH' : 'N' }] }],
        });
        if (labels.length === 0) {
          // No patient and no ward: an unlabelled clinical resource is never stored.
          expect(res.status).toBe(400);
          continue;
        }
        expect(res.status).toBe(201);
        if (!critical) continue;
        for (const [nurse, ward] of Object.entries(nurses)) {
          if (labels.every((l) => l === ward)) expected[nurse]?.push(res.body.id as string);
        }
      }
      // A last critical in each ward closes the run: a stream delivers in order, so once a nurse has as
      // many events as expected, the last being her ward's closing one, anything leaked to her would
      // already be among them (no waiting on time for what should not come).
      for (const [nurse, ward] of Object.entries(nurses)) {
        const closing = t.server.simulator?.emitCriticalPotassium(ward);
        if (closing) expected[nurse]?.push(closing.id);
      }
      for (const [nurse, ward] of Object.entries(nurses)) {
        const stream = streams[nurse];
        if (!stream) throw new Error(nurse);
        const want = expected[nurse] ?? [];
        await stream.conn.waitFor((f) => events(f).length >= want.length, 30_000);
        const got = events(stream.conn.frames).map((f) => focusOf(JSON.parse(f.data))?.split('/').pop());
        expect(got).toEqual(want);
        stream.conn.close();
        const logged = await fhir(
          'GET',
          `${t.server.fhirBase}/Subscription/${stream.id}/$events`,
          stream.token,
        );
        const params =
          (
            logged.body.entry as {
              resource: {
                parameter: {
                  name: string;
                  part?: { name: string; valueReference?: { reference: string } }[];
                }[];
              };
            }[]
          )[0]?.resource.parameter ?? [];
        const loggedFoci = params
          .filter((p) => p.name === 'notification-event')
          .map((p) =>
            p.part
              ?.find((x) => x.name === 'focus')
              ?.valueReference?.reference.split('/')
              .pop(),
          );
        expect(loggedFoci).toEqual(want);
        for (const id of got) {
          const read = await fhir('GET', `${t.server.fhirBase}/Observation/${String(id)}`, stream.token);
          expect(read.status).toBe(200);
          const labels =
            (read.body.meta as { security?: { code: string }[] }).security?.map((s) => s.code) ?? [];
          expect(labels.every((l) => l === ward)).toBe(true);
        }
        const search = await fhir('GET', `${t.server.fhirBase}/Observation?_count=1000`, stream.token);
        for (const entry of search.body.entry as {
          resource: { meta: { security?: { code: string }[] } };
        }[]) {
          expect((entry.resource.meta.security ?? []).every((s) => s.code === ward)).toBe(true);
        }
        const other = nurse === 'nurse-a' ? 'nurse-b' : 'nurse-a';
        for (const id of expected[other] ?? []) {
          if ((expected[nurse] ?? []).includes(id)) continue;
          expect((await fhir('GET', `${t.server.fhirBase}/Observation/${id}`, stream.token)).status).toBe(
            404,
          );
        }
      }
    });
  }
});
