// One batch of a catch-up: the alerts it takes are read by `_id` searches of at most 100 ids (the
// request line stays under common URL limits), several in flight, and everything they return is
// classified and stored in ONE transaction. Real embedded server on loopback, real SQLite; the
// requests are counted where they leave the client (a recorder around the real fetch).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accessFor, type FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { BATCH_SIZE } from '../../../../src-main/core/monitor/enrichment.ts';
import { createBatchState, enrichBatch } from '../../../../src-main/core/monitor/enrichment-batch.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
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

/** The store's saveEnrichments, recorded: how many transactions, of how many alerts each. */
function recordingSaves(store: ClientStore): number[] {
  const sizes: number[] = [];
  const save = store.saveEnrichments.bind(store);
  store.saveEnrichments = (items) => {
    sizes.push(items.length);
    return save(items);
  };
  return sizes;
}

describe('a catch-up batch', () => {
  it('reads 250 missed results in three searches of at most 100 ids and stores them in one transaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enrichment-batch-'));
    const server = await startServer({
      port: await freePort(),
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    const simulator = server.simulator;
    if (!simulator) throw new Error('no simulator');
    const written = Array.from({ length: 250 }, () => simulator.emitCriticalPotassium('ward-a'));
    expect(written.length).toBeLessThanOrEqual(BATCH_SIZE);

    const store = openClientStore(join(dir, 'monitor.sqlite'));
    cleanups.push(() => void store.close());
    const sub = store.saveSubscription({
      fhirBase: server.fhirBase,
      remoteId: 'sub-1',
      topic: CRITICAL_LAB_TOPIC,
      channel: 'sse',
      endpoint: null,
      heartbeatSeconds: 30,
      owner: 'Practitioner/nurse-a',
    });
    const events = written.map((r, i) => ({
      eventNumber: i + 1,
      focus: `Observation/${r.id}`,
      occurredAt: null,
    }));
    const ids = store.commitEvents(sub.key, CRITICAL_LAB_TOPIC, events, 'replay').alertIds;
    expect(ids).toHaveLength(250);

    const searches: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const access: FhirAccess = accessFor(issuedSession(server));
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.includes('_id=')) return realFetch(input, init);
      searches.push(url);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      try {
        return await realFetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    cleanups.push(() => void (globalThis.fetch = realFetch));
    const saves = recordingSaves(store);

    const enriched = await enrichBatch(
      {
        store,
        access,
        fhirBase: server.fhirBase,
        rules,
        interrupts: () => true,
        isCriticalTopic: () => true,
        emit: () => undefined,
      },
      createBatchState(),
      ids,
    );

    expect(enriched).toHaveLength(250);
    expect(enriched.every((e) => e.alert.tier === 'critical' && e.alert.fetch === 'ok')).toBe(true);
    const observationSearches = searches.filter((url) => url.includes('/Observation?'));
    expect(observationSearches).toHaveLength(3);
    for (const url of observationSearches) {
      const asked = new URL(url).searchParams.get('_id')?.split(',') ?? [];
      expect(asked.length).toBeLessThanOrEqual(100);
    }
    // All three asked before the first answer is read (no answer can arrive within one turn).
    expect(mostInFlight).toBe(3);
    expect(saves).toEqual([250]);
  });
});
