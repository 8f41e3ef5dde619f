// `_include` on a search (enrichment's batched claim-check reads): the matches' subject and encounter
// come along, under exactly the rules of a read — another ward's or an out-of-scope resource is left
// out, never revealed — and an include the server cannot honour is a clear 400, never ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredResource } from '../../../../src-main/server/base/types.ts';
import { fhir, startTestServer, type TestServer } from '../helpers.ts';

interface Entry {
  resource: StoredResource;
  search: { mode: string };
}

const refOf = (value: unknown): string => (value as { reference: string }).reference;

describe('search _include', () => {
  let t: TestServer;
  let mine: StoredResource;
  let other: StoredResource;
  beforeAll(async () => {
    t = await startTestServer();
    const simulator = t.server.simulator;
    if (!simulator) throw new Error('no simulator');
    mine = simulator.emitCriticalPotassium('ward-a');
    other = simulator.emitCriticalPotassium('ward-b');
  });
  afterAll(() => t.close());

  const searchAs = (token: string, query: string) =>
    fhir('GET', `${t.server.fhirBase}/Observation?${query}`, token);

  it("adds the matches' subject and encounter, each once, as 'include' entries", async () => {
    const res = await searchAs(
      t.token('nurse-a'),
      `_id=${mine.id},${other.id}&_include=Observation:subject&_include=Observation:encounter`,
    );
    expect(res.status).toBe(200);
    const entries = res.body.entry as Entry[];
    const matches = entries.filter((e) => e.search.mode === 'match').map((e) => e.resource.id);
    // nurse-a's ward only: the other ward's result is not a match and brings nothing along.
    expect(matches).toEqual([mine.id]);
    const included = entries
      .filter((e) => e.search.mode === 'include')
      .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();
    expect(included).toEqual([refOf(mine['subject']), refOf(mine['encounter'])].sort());
    expect(res.body.total).toBe(1);
  });

  it('leaves out included resources the caller may not read (scopes)', async () => {
    const res = await searchAs(
      t.token('nurse-a', ['user/Observation.rs']),
      `_id=${mine.id}&_include=Observation:subject&_include=Observation:encounter`,
    );
    expect(res.status).toBe(200);
    const entries = res.body.entry as Entry[];
    expect(entries.map((e) => e.search.mode)).toEqual(['match']);
  });

  it('refuses an include it cannot honour with a 400', async () => {
    const token = t.token('nurse-a');
    for (const query of [
      `_id=${mine.id}&_include=Observation:code`,
      `_id=${mine.id}&_include=Patient:subject`,
      `_id=${mine.id}&_include=*`,
      `_id=${mine.id}&_include:iterate=Encounter:location`,
      `_id=${mine.id}&_revinclude=Observation:subject`,
      `_id=${mine.id}&_include=Observation:encounter:Patient`,
    ]) {
      const res = await searchAs(token, query);
      expect(res.status, query).toBe(400);
    }
  });
});
