// A pharmacist's decisions against the stand-in for Medplum 5.0.10 (test/support/fhir-peer.ts: UUID ids
// only, `updateCreate: false`, conditional update), over real loopback HTTP and a real SQLite outbox:
// every record goes by its identifier (`PUT Type?identifier=…`), once, and a later decision on the same
// order replaces the verification Task instead of adding one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import type { DecisionRecord } from '../../../../src-main/core/pharmacy/decisions.ts';
import { createDecisionSender } from '../../../../src-main/core/pharmacy/sender.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';
import { createVerificationStore } from '../../../../src-main/core/store/verification-store.ts';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import type { OrderDecision } from '../../../../src-main/shared/api.ts';
import { startFhirPeer, TOKEN, type FhirPeer } from '../../../support/fhir-peer.ts';

const ORDER = 'MedicationRequest/5f0c9a52-3c1e-4d7b-9f61-2a8e4b7c1d03';
const ACTOR = 'pharmacist-key';
/** The verification Task's identifier, as docs/pharmacy.md maps it. */
const VERIFICATION_IDENTIFIER = 'urn:alert-monitor:order-verification';

let peer: FhirPeer;
beforeEach(async () => {
  peer = await startFhirPeer();
});
afterEach(() => peer.close());

function decision(decision: OrderDecision, reason: string | null): DecisionRecord {
  return {
    order: ORDER,
    patient: 'Patient/p1',
    prescriber: 'Practitioner/physician-a',
    pharmacist: 'Practitioner/pharmacist',
    at: new Date().toISOString(),
    decision,
    reason,
    medication: 'warfarin sodium 5 MG Oral Tablet',
    flags: [
      {
        id: 'warfarin-nsaid:MedicationRequest/other',
        kind: 'interaction',
        at: null,
        severity: 'high',
        text: 'Interaction: bleeding risk',
        detail: 'With: ibuprofen',
        source: 'test',
        implicated: [],
        override: decision === 'verify' ? 'INR monitored daily' : null,
      },
    ],
    followUps: [],
  };
}

/** Record `record` in a fresh outbox and send it to the peer; the outbox row as it ends. */
async function decideAndSend(record: DecisionRecord) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'decisions-')), 'monitor.sqlite'));
  migrate(db, 'client', CLIENT_MIGRATIONS);
  const decisions = createVerificationStore(db);
  decisions.record(
    {
      fhirBase: peer.base,
      actor: ACTOR,
      orderRef: ORDER,
      decision: record.decision,
      payload: JSON.stringify(record),
      at: Date.now(),
    },
    () => null, // an outbox on its own: no alerts to close
  );
  const access: FhirAccess = {
    fhirBase: peer.base,
    accessToken: async () => TOKEN,
    onUnauthorized: async () => false,
  };
  const sender = createDecisionSender({
    decisions,
    accessFor: () => access,
    logger: silentLogger(),
    onChange: () => undefined,
  });
  await sender.pump();
  sender.stop();
  const row = decisions.latest(peer.base, ORDER);
  db.close();
  return row;
}

async function search(type: string, identifier: string): Promise<Array<Record<string, unknown>>> {
  const query = new URLSearchParams({ identifier });
  const res = await fetch(`${peer.base}/${type}?${query.toString()}`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  const bundle = (await res.json()) as { entry?: Array<{ resource: Record<string, unknown> }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

describe('decisions to a server that assigns its own ids', () => {
  it('clarification, then verification: each record once by identifier, the Task replaced in place', async () => {
    const asked = await decideAndSend(decision('clarify', 'Dose for INR 3.4?'));
    expect(asked?.lastError ?? null).toBeNull();
    expect(asked?.state).toBe('done');
    const [task] = await search('Task', `${VERIFICATION_IDENTIFIER}|${ORDER}`);
    expect(task?.['status']).toBe('on-hold');
    expect(String(task?.['id'])).toMatch(/^[0-9a-f-]{36}$/);
    expect(await search('Communication', `urn:alert-monitor:order-clarification|${ORDER}`)).toHaveLength(1);
    // The flag's identifier holds a "|" of its own: escaped in the search, matched as written.
    const issueToken = `urn:alert-monitor:order-check|${ORDER}\\|warfarin-nsaid:MedicationRequest/other`;
    expect(await search('DetectedIssue', issueToken)).toHaveLength(1);

    const verified = await decideAndSend(decision('verify', null));
    expect(verified?.lastError ?? null).toBeNull();
    expect(verified?.state).toBe('done');
    const tasks = await search('Task', `${VERIFICATION_IDENTIFIER}|${ORDER}`);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.['id']).toBe(task?.['id']);
    expect(tasks[0]?.['status']).toBe('completed');
    expect(await search('DetectedIssue', issueToken)).toHaveLength(1);
    // Nothing went by a derived id, which this server would refuse.
    expect(peer.requests.filter((r) => r.method === 'PUT' && !r.path.includes('?'))).toEqual([]);
  });
});
