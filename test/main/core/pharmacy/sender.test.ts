// The decision outbox (docs/pharmacy.md, "Workflow" 5): a decision the server refuses stays queued with
// its reason, survives a restart (a new store on the same SQLite file), is sent once the pharmacist's
// session works again, and sending it again writes no second record. Real SQLite, the real embedded
// server over loopback HTTP, real tokens.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import type { FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import type { DecisionRecord } from '../../../../src-main/core/pharmacy/decisions.ts';
import { createDecisionSender } from '../../../../src-main/core/pharmacy/sender.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';
import { createVerificationStore } from '../../../../src-main/core/store/verification-store.ts';
import type { TestServer } from '../../server/helpers.ts';
import { fhir, startTestServer } from '../../server/helpers.ts';
import { searchIds } from '../../server/security/support.ts';

let t: TestServer;
let order: string;
let patient: string;
beforeAll(async () => {
  t = await startTestServer({ simulate: { seed: 42, pharmacyDemo: true } });
  const token = t.token('pharmacist');
  const [id] = await searchIds(
    t.server.fhirBase,
    token,
    'MedicationRequest?location=Location/ward-a&status=active',
  );
  order = `MedicationRequest/${String(id)}`;
  const read = await fhir('GET', `${t.server.fhirBase}/${order}`, token);
  patient = (read.body.subject as { reference: string }).reference;
});
afterAll(() => t.close());

const access = (token: () => string): FhirAccess => ({
  fhirBase: t.server.fhirBase,
  accessToken: async () => token(),
  onUnauthorized: async () => false,
});

function openStore(path: string) {
  const db = openDatabase(path);
  migrate(db, 'client', CLIENT_MIGRATIONS);
  return { db, decisions: createVerificationStore(db) };
}

describe('the decision outbox', () => {
  it('keeps a refused decision with its reason across a restart, sends it later, and never twice', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'outbox-')), 'monitor.sqlite');
    const record: DecisionRecord = {
      order,
      patient,
      prescriber: 'Practitioner/physician-a',
      pharmacist: 'Practitioner/pharmacist',
      at: new Date().toISOString(),
      decision: 'verify',
      reason: null,
      medication: 'test order',
      flags: [
        {
          id: 'warfarin-nsaid:x',
          kind: 'interaction',
          at: null,
          severity: 'high',
          text: 'Interaction: bleeding risk',
          detail: 'With: warfarin',
          source: 'test',
          implicated: [],
          override: 'INR monitored daily',
        },
      ],
      followUps: [],
    };
    const actor = `${t.server.fhirBase}|Practitioner/pharmacist`;
    /** The pharmacist's verification, recorded in a workstation's outbox. */
    const recordIn = (outbox: ReturnType<typeof openStore>) =>
      outbox.decisions.record(
        {
          fhirBase: t.server.fhirBase,
          actor,
          orderRef: order,
          decision: 'verify',
          payload: JSON.stringify(record),
          at: Date.now(),
        },
        () => null, // an outbox on its own: no alerts to close
      );
    const first = openStore(path);
    recordIn(first);
    // A token the server does not know: refused, kept, with the reason.
    const refused = createDecisionSender({
      decisions: first.decisions,
      accessFor: () => access(() => 'at_not-a-token'),
      logger: silentLogger(),
      onChange: () => undefined,
      backoff: { baseMs: 0, capMs: 0 },
    });
    await refused.pump();
    refused.stop();
    const kept = first.decisions.latest(t.server.fhirBase, order);
    expect(kept?.state).toBe('pending');
    expect(kept?.lastError).toMatch(/401/);
    first.db.close();

    // The app restarts; the pharmacist signs in again: it goes, and a second send writes nothing new.
    const second = openStore(path);
    const token = t.token('pharmacist');
    const sender = createDecisionSender({
      decisions: second.decisions,
      accessFor: (_base, who) => (who === actor ? access(() => token) : null),
      logger: silentLogger(),
      onChange: () => undefined,
    });
    await sender.pump();
    expect(second.decisions.latest(t.server.fhirBase, order)?.state).toBe('done');
    const again = recordIn(second);
    expect(again.created).toBe(false);
    sender.stop();
    second.db.close();
    // The same decision sent again (as after an answer lost on the way back) updates the same records.
    const resent = openStore(join(mkdtempSync(join(tmpdir(), 'outbox-')), 'monitor.sqlite'));
    recordIn(resent);
    const resender = createDecisionSender({
      decisions: resent.decisions,
      accessFor: () => access(() => token),
      logger: silentLogger(),
      onChange: () => undefined,
    });
    await resender.pump();
    resender.stop();
    expect(resent.decisions.latest(t.server.fhirBase, order)?.state).toBe('done');
    resent.db.close();
    const tasks = await searchIds(t.server.fhirBase, token, `Task?focus=${order}`);
    const issues = await searchIds(t.server.fhirBase, token, `DetectedIssue?implicated=${order}`);
    expect(tasks).toHaveLength(1);
    expect(issues).toHaveLength(1);
  });
});
