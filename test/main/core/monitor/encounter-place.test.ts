// An admission, transfer or discharge names the bed and ward, like a result does: the Encounter is the
// focus itself, so its current location is read from it (no second read of the Encounter), by the
// single read and by a catch-up batch alike. Real embedded server on loopback, real SQLite.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accessFor } from '../../../../src-main/core/fhir/fhir-client.ts';
import { enrichAlert, type EnrichmentDeps } from '../../../../src-main/core/monitor/enrichment.ts';
import { createBatchState, enrichBatch } from '../../../../src-main/core/monitor/enrichment-batch.ts';
import { ENCOUNTER_ADMIT_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import { startServer } from '../../../../src-main/server/server.ts';
import { freePort } from '../../../support/free-port.ts';
import { issuedSession } from '../../../support/issued-session.ts';

const rules = createRulesHolder(
  join(import.meta.dirname, '../../../../resources/rules/critical-values.json'),
);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A demo server, and alerts committed for the first two Ward A census encounters, as a stream would. */
async function encounterAlerts() {
  const dir = mkdtempSync(join(tmpdir(), 'encounter-place-'));
  const server = await startServer({
    port: await freePort(),
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
  });
  cleanups.push(() => server.close());
  const census = [...(server.simulator?.census('ward-a') ?? [])].slice(0, 2);
  expect(census).toHaveLength(2);
  const store = openClientStore(join(dir, 'monitor.sqlite'));
  cleanups.push(() => void store.close());
  const sub = store.saveSubscription({
    fhirBase: server.fhirBase,
    remoteId: 'sub-admit',
    topic: ENCOUNTER_ADMIT_TOPIC,
    channel: 'sse',
    endpoint: null,
    heartbeatSeconds: 30,
    owner: 'Practitioner/nurse-a',
  });
  const events = census.map((c, i) => ({
    eventNumber: i + 1,
    focus: `Encounter/${c.encounterId}`,
    occurredAt: null,
  }));
  const ids = store.commitEvents(sub.key, ENCOUNTER_ADMIT_TOPIC, events, 'live').alertIds;
  const deps: EnrichmentDeps = {
    store,
    access: accessFor(issuedSession(server)),
    fhirBase: server.fhirBase,
    rules,
    interrupts: () => false,
    isCriticalTopic: () => false,
    emit: () => undefined,
  };
  return { deps, ids, beds: census.map((c) => c.bed) };
}

describe('an encounter alert', () => {
  it('names the bed and the ward when read alone', async () => {
    const { deps, ids, beds } = await encounterAlerts();
    const enriched = await enrichAlert(deps, ids[0] ?? '');
    expect(enriched?.alert).toMatchObject({
      tier: 'info',
      headline: 'Admission',
      location: `Ward A bed ${beds[0]}`,
      ward: expect.stringMatching(/^Ward A/),
    });
  });

  it('names the bed and the ward when read in a catch-up batch', async () => {
    const { deps, ids, beds } = await encounterAlerts();
    const enriched = await enrichBatch(deps, createBatchState(), ids);
    expect(enriched.map((e) => e.alert.location)).toEqual(beds.map((bed) => `Ward A bed ${bed}`));
    expect(enriched.every((e) => /^Ward A/.test(e.alert.ward ?? ''))).toBe(true);
  });
});
