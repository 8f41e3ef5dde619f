// The pharmacist's decision outbox (src-main/core/store/verification-store.ts) on a real SQLite file: a
// follow-up question recorded while the earlier record is being sent is not lost when that send ends.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';
import {
  createVerificationStore,
  decisionState,
} from '../../../../src-main/core/store/verification-store.ts';

function outbox() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'verification-')), 'monitor.sqlite'));
  migrate(db, 'client', CLIENT_MIGRATIONS);
  return createVerificationStore(db);
}

const FIRST = JSON.stringify({ reason: 'Indication?' });
const BOTH = JSON.stringify({
  reason: 'Indication?',
  followUps: [{ at: '2026-12-03T10:00:00.000Z', question: 'On an anticoagulant?' }],
});

describe('the decision outbox', () => {
  it('keeps a follow-up recorded during the send of the first question pending, then sends it', () => {
    const decisions = outbox();
    const at = Date.parse('2026-12-03T09:00:00.000Z');
    const { row } = decisions.record(
      {
        fhirBase: 'http://fhir.test',
        actor: 'http://fhir.test|Practitioner/pharmacist',
        orderRef: 'MedicationRequest/m1',
        decision: 'clarify',
        payload: FIRST,
        at,
      },
      () => null,
    );
    // The sender took the row as it was; the follow-up is recorded while that send is under way.
    const [sending] = decisions.due(at);
    const followed = decisions.addFollowUp(row.id, BOTH, at + 1_000);
    expect(followed && decisionState(followed).reason).toBe('Indication? — then: On an anticoagulant?');
    // The first send ends: it was not the record that is owed now.
    expect(decisions.succeeded(row.id, at + 2_000, sending?.payload ?? '')).toBe(false);
    expect(decisions.failed(row.id, 'HTTP 503', at + 60_000, sending?.payload ?? '')).toBe(false);
    const [owed] = decisions.due(at + 2_000);
    expect(owed).toMatchObject({ id: row.id, state: 'pending', payload: BOTH });
    expect(decisions.succeeded(row.id, at + 3_000, BOTH)).toBe(true);
    expect(decisions.due(at + 3_000)).toEqual([]);
    // A follow-up after the request was sent is owed again at once.
    decisions.addFollowUp(row.id, JSON.stringify({ reason: 'Indication?', followUps: [] }), at + 4_000);
    expect(decisions.due(at + 4_000).map((r) => r.id)).toEqual([row.id]);
  });
});
