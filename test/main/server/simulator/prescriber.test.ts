// The simulated attending answers the pharmacist's question about one of its orders after a delay of
// simulated time, once, in response to it; questions to anyone else, answers and other messages are not
// answered. Against a real store on a SQLite file; the simulated clock is driven by hand.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { createSimulator } from '../../../../src-main/server/simulator/index.ts';
import { questionToAttending } from '../../../../src-main/server/simulator/prescriber.ts';
import { createResourceStore } from '../../../../src-main/server/store/resources.ts';
import { SERVER_MIGRATIONS } from '../../../../src-main/server/store/schema.ts';

const MINUTE = 60_000;
const WARD_A = [{ system: 'http://alert-monitor.local/fhir/CodeSystem/ward', code: 'ward-a' }];

function world(prescriberAnswerMinutes?: number | null) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'prescriber-')), 'db.sqlite'), {
    synchronous: 'NORMAL',
  });
  migrate(db, 'server', SERVER_MIGRATIONS);
  const store = createResourceStore(db);
  const sim = createSimulator(store, {
    seed: 3,
    startTime: '2026-03-02T02:00:00Z',
    ...(prescriberAnswerMinutes !== undefined ? { prescriberAnswerMinutes } : {}),
  });
  sim.seed();
  return { db, store, sim };
}

/** A question as the app sends it: a Communication to the attending about an order, with its ward label. */
const question = (id: string, recipient = 'Practitioner/physician-a') => ({
  resourceType: 'Communication',
  id,
  meta: { security: WARD_A },
  status: 'completed',
  subject: { reference: 'Patient/p1' },
  about: [{ reference: 'MedicationRequest/m1' }],
  sender: { reference: 'Practitioner/pharmacist' },
  recipient: [{ reference: recipient }],
  payload: [{ contentString: 'Please clarify tramadol: indication?' }],
});

describe('the simulated attending', () => {
  it('answers a question about an order after 15 simulated minutes, in response to it, once', () => {
    const { store, sim } = world();
    store.update(question('q1'));
    sim.advance(14 * MINUTE);
    expect(store.find('Communication', 'answer-q1')).toBeNull();
    sim.advance(MINUTE);
    const answer = store.find('Communication', 'answer-q1');
    expect(answer).toMatchObject({
      inResponseTo: [{ reference: 'Communication/q1' }],
      subject: { reference: 'Patient/p1' },
      about: [{ reference: 'MedicationRequest/m1' }],
      sender: { reference: 'Practitioner/physician-a', display: 'Ward A attending physician' },
      recipient: [{ reference: 'Practitioner/pharmacist' }],
      meta: { security: WARD_A },
    });
    expect(JSON.stringify(answer?.['payload'])).toMatch(/contentString/);
    // The same question written again (a retried PUT) is not answered again.
    store.update(question('q1'));
    sim.advance(60 * MINUTE);
    expect(store.history('Communication', 'answer-q1')).toHaveLength(1);
  });

  it('answers nobody else: another recipient, an answer, a message about no order; and never when off', () => {
    const { store, sim } = world();
    store.update(question('to-nurse', 'Practitioner/nurse-a'));
    store.update({ ...question('reply'), inResponseTo: [{ reference: 'Communication/x' }] });
    store.update({ ...question('no-order'), about: [{ reference: 'Observation/o1' }] });
    sim.advance(60 * MINUTE);
    for (const id of ['to-nurse', 'reply', 'no-order'])
      expect(store.find('Communication', `answer-${id}`)).toBeNull();

    const off = world(null);
    off.store.update(question('q2'));
    off.sim.advance(24 * 60 * MINUTE);
    expect(off.store.find('Communication', 'answer-q2')).toBeNull();
  });

  it('answers a question asked before the demo server stopped once it runs again on its database', () => {
    const { db, store } = world();
    store.update(question('asked-before'));
    store.update(question('answered-before'));
    store.update({
      resourceType: 'Communication',
      id: 'answer-answered-before',
      status: 'completed',
      inResponseTo: [{ reference: 'Communication/answered-before' }],
    });
    // Started again: a new store and simulator over the same database, the old ones gone.
    const again = createResourceStore(db);
    const sim = createSimulator(again, { seed: 3, startTime: '2026-03-02T03:00:00Z' });
    sim.seed();
    sim.advance(15 * MINUTE);
    expect(again.find('Communication', 'answer-asked-before')).toMatchObject({
      inResponseTo: [{ reference: 'Communication/asked-before' }],
    });
    expect(again.history('Communication', 'answer-answered-before')).toHaveLength(1);
  });

  it('knows a question to an attending by its recipient and its order', () => {
    const stored = (body: Record<string, unknown>) => ({
      ...question('q'),
      ...body,
      meta: { versionId: '1', lastUpdated: '2026-03-02T02:00:00Z' },
    });
    expect(questionToAttending(stored({}))).toBe('a');
    expect(questionToAttending(stored({ recipient: [{ reference: 'Practitioner/physician-b' }] }))).toBe('b');
    expect(questionToAttending(stored({ recipient: [] }))).toBeNull();
    expect(questionToAttending(null)).toBeNull();
  });
});
