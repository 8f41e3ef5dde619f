// The alert owner over a real SQLite file: every transition is conditional on the current state (a
// repeat or an out-of-order call changes nothing and audits nothing), and the lifecycle timers are the
// ones the store was opened with.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientStore, ClientStoreOptions } from '../../../../src-main/core/store/client-store.ts';
import { ALERT_RECEIVED_AT, storeWithAlert as storeWith } from '../../../support/store-with-alert.ts';

const opened: ClientStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const T0 = ALERT_RECEIVED_AT;

/** A store with one committed alert (focus Observation/o1), classified as `tier`. */
function storeWithAlert(tier: 'critical' | 'info' = 'critical', options: ClientStoreOptions = {}) {
  const made = storeWith({ tier, options });
  opened.push(made.store);
  return made;
}

function auditActions(store: ClientStore): string[] {
  return store.db
    .prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY id')
    .all()
    .map((r) => r.action);
}

describe('alert store', () => {
  it('audits an acknowledgment without copying the read-back note', () => {
    const { store, id } = storeWithAlert('info');
    store.alerts.acknowledge(id, 'Practitioner/nurse-a', 'K 6.8 read back to Dr X', null, Date.now());
    expect(store.alerts.get(id)?.state).toBe('acknowledged');
    const audit = store.db.prepare('SELECT action, actor, detail FROM audit_log').all();
    expect(audit).toEqual([
      { action: 'state:acknowledged', actor: 'Practitioner/nurse-a', detail: 'with read-back note' },
    ]);
  });

  it('acknowledges an open alert once: a repeat, or one after resolution, changes and audits nothing', () => {
    const { store, id } = storeWithAlert();
    expect(store.alerts.acknowledge(id, 'Practitioner/nurse-a', null, null, T0 + 60_000)).toBe(true);
    expect(store.alerts.acknowledge(id, 'Practitioner/nurse-b', 'again', null, T0 + 120_000)).toBe(false);
    expect(store.alerts.get(id)?.lifecycle).toMatchObject({
      acknowledgedBy: 'Practitioner/nurse-a',
      acknowledgedAt: new Date(T0 + 60_000).toISOString(),
      ackNote: null,
    });
    expect(store.alerts.resolve(id, 'Practitioner/nurse-a', null, T0 + 180_000)).toBe(true);
    expect(store.alerts.acknowledge(id, 'Practitioner/nurse-b', null, null, T0 + 240_000)).toBe(false);
    expect(store.alerts.get(id)?.state).toBe('resolved');
    expect(auditActions(store)).toEqual(['state:acknowledged', 'state:resolved']);
  });

  it('clears a pending escalation at acknowledgment and never escalates an acknowledged alert', () => {
    const { store, id } = storeWithAlert();
    expect(store.alerts.escalate(id, T0 + 20 * 60_000, 'level 1', T0 + 10 * 60_000)).toBe(true);
    expect(store.alerts.openCriticals()[0]?.nextEscalationAt).toBe(new Date(T0 + 20 * 60_000).toISOString());
    expect(store.alerts.acknowledge(id, 'Practitioner/nurse-a', null, null, T0 + 11 * 60_000)).toBe(true);
    const next = store.db
      .prepare<[string], { next: string | null }>(
        'SELECT next_escalation_at AS next FROM alerts WHERE id = ?',
      )
      .get(id);
    expect(next?.next).toBeNull();
    expect(store.alerts.escalate(id, T0 + 40 * 60_000, 'level 2', T0 + 30 * 60_000)).toBe(false);
    expect(store.alerts.openCriticals()).toEqual([]);
  });

  it('reports ackDueAt and targetDueAt from the timers the store was opened with', () => {
    const { store, id } = storeWithAlert('critical', {
      lifecycle: { ackTimeoutMs: 5 * 60_000, targetMs: 15 * 60_000 },
    });
    expect(store.alerts.timers).toEqual({ ackTimeoutMs: 5 * 60_000, targetMs: 15 * 60_000 });
    expect(store.alerts.get(id)?.lifecycle).toMatchObject({
      pinned: true,
      ackDueAt: '2026-11-22T10:05:00.000Z',
      targetDueAt: '2026-11-22T10:15:00.000Z',
    });
    const { store: defaults, id: other } = storeWithAlert();
    expect(defaults.alerts.get(other)?.lifecycle).toMatchObject({
      ackDueAt: '2026-11-22T10:10:00.000Z',
      targetDueAt: '2026-11-22T10:30:00.000Z',
    });
  });

  it('marks an alert notified only after its claim, once, with one audit row', () => {
    const { store, id } = storeWithAlert();
    expect(store.alerts.markNotified(id, T0)).toBe(false); // never claimed
    expect(store.alerts.get(id)?.lifecycle?.notifyState).toBe('pending');
    expect(store.alerts.claimNotification(id)).toBe(true);
    expect(store.alerts.markNotified(id, T0)).toBe(true);
    expect(store.alerts.markNotified(id, T0 + 1)).toBe(false);
    expect(store.alerts.markSummarised(id, T0 + 2)).toBe(false);
    expect(store.alerts.get(id)?.lifecycle).toMatchObject({
      notifyState: 'notified',
      notifiedAt: new Date(T0).toISOString(),
    });
    expect(auditActions(store)).toEqual(['notified']);
  });

  it('takes a classification once: a second enrichment of the same alert is refused', () => {
    const { store, id } = storeWithAlert();
    const again = store.alerts.saveClassification(
      id,
      {
        tier: 'info',
        headline: 'something else',
        reason: '',
        patientRef: null,
        patientName: null,
        location: null,
        fetchStatus: 'ok',
      },
      false,
    );
    expect(again).toBeNull();
    expect(store.alerts.get(id)).toMatchObject({ tier: 'critical', headline: 'Potassium 6.8 mmol/L' });
    expect(store.alerts.get(id)?.lifecycle?.notifyState).toBe('pending');
  });

  it("names which of a batch's alerts still await their read, in the batch's order, with their foci", () => {
    const { store, id: classified } = storeWithAlert();
    const sub = store.getSubscription(classified.slice(0, -':1'.length));
    if (!sub) throw new Error('fixture has a subscription');
    const events = [2, 3, 4].map((n) => ({ eventNumber: n, focus: `Observation/o${n}`, occurredAt: null }));
    store.commitEvents(sub.key, sub.topic, events, 'live');
    const idOf = (n: number): string => `${sub.key}:${n}`;
    // o3's read failed for now: owed, so it still awaits one; o4 has been read.
    store.db
      .prepare("UPDATE alerts SET fetch_status = 'error', fetch_retry_at = ? WHERE id = ?")
      .run('2026-11-22T10:05:00.000Z', idOf(3));
    store.db.prepare("UPDATE alerts SET fetch_status = 'ok' WHERE id = ?").run(idOf(4));
    expect(store.alerts.stillAwaitingFetch([idOf(3), 'no-such-alert', classified, idOf(2), idOf(4)])).toEqual(
      [
        { id: idOf(3), focus: 'Observation/o3' },
        { id: idOf(2), focus: 'Observation/o2' },
      ],
    );
  });

  it('queues the write-back with the acknowledgment and finishes an outbox item exactly once', () => {
    const { store, id } = storeWithAlert();
    const request = { kind: 'acknowledgment', fhirBase: 'http://127.0.0.1:9/fhir', payload: { alertId: id } };
    expect(store.alerts.acknowledge(id, 'Practitioner/nurse-a', null, request, T0)).toBe(true);
    expect(store.alerts.get(id)?.lifecycle?.writeback.state).toBe('pending');
    const [item] = store.alerts.dueOutbox(T0);
    if (!item) throw new Error('no outbox item');
    expect(store.alerts.outboxFailed(item, 'server answered 503', T0 + 5_000, T0)).toBe(true);
    expect(store.alerts.dueOutbox(T0)).toEqual([]);
    expect(store.alerts.nextOutboxAt()).toBe(T0 + 5_000);
    expect(store.alerts.outboxSucceeded(item, 'Communication/ack-1', T0 + 5_000)).toBe(true);
    expect(store.alerts.outboxSucceeded(item, 'Communication/ack-1', T0 + 6_000)).toBe(false);
    expect(store.alerts.outboxUnsupported(item, 'too late', T0 + 7_000)).toBe(false);
    expect(store.alerts.get(id)?.lifecycle?.writeback).toEqual({
      state: 'done',
      error: null,
      reference: 'Communication/ack-1',
    });
    expect(store.alerts.outboxCounts()).toMatchObject({ pending: 0 });
    expect(auditActions(store)).toEqual(['state:acknowledged', 'writeback:failed', 'writeback:done']);
  });

  it('prunes closed alerts and old audit rows but never an open critical', () => {
    const { store, id } = storeWithAlert();
    store.alerts.audit(null, 'audit-export', null, '0 rows', T0);
    const later = new Date(T0 + 86_400_000).toISOString();
    expect(store.alerts.prune(later, later)).toEqual({ alerts: 0, auditRows: 1 });
    store.alerts.acknowledge(id, 'Practitioner/nurse-a', null, null, T0);
    expect(store.alerts.prune(later, new Date(T0 - 1).toISOString())).toEqual({ alerts: 1, auditRows: 0 });
    expect(store.alerts.get(id)).toBeNull();
  });
});

describe('a decided order', () => {
  const SERVER = 'http://127.0.0.1:9/fhir';
  const decided = (decision: 'verify' | 'reject' | 'clarify') => ({
    order: 'MedicationRequest/m1',
    decision,
    actor: 'Practitioner/pharmacist',
    at: new Date(T0 + 60_000).toISOString(),
  });
  /** A store holding a pharmacist's stat alert about `order` (closed with the test's store). */
  const storeWithStatAlert = (order: string) => {
    const made = storeWith({ tier: 'high', fhirBase: SERVER, focus: order });
    opened.push(made.store);
    return made;
  };
  const auditRows = (store: ClientStore) =>
    store.db.prepare('SELECT action, actor, detail FROM audit_log ORDER BY id').all();

  it('resolves the stat order’s alert by the pharmacist once; another server’s order is another order', () => {
    const { store, id } = storeWithStatAlert('MedicationRequest/m1');
    const { sharing } = store.alerts;
    expect(sharing.closeDecidedOrder('http://127.0.0.1:10/fhir', decided('reject'), false, T0)).toEqual([]);
    expect(sharing.closeDecidedOrder(SERVER, decided('reject'), false, T0 + 90_000)).toEqual([id]);
    expect(store.alerts.get(id)).toMatchObject({
      state: 'resolved',
      lifecycle: {
        resolvedBy: 'Practitioner/pharmacist',
        resolvedAt: new Date(T0 + 60_000).toISOString(),
        resolvedElsewhere: true,
      },
    });
    // The same Task again (a replay, or this workstation's own decision coming back): nothing.
    expect(sharing.closeDecidedOrder(SERVER, decided('reject'), false, T0 + 120_000)).toEqual([]);
    expect(auditRows(store)).toEqual([
      {
        action: 'state:resolved',
        actor: 'Practitioner/pharmacist',
        detail: 'order rejected, on another workstation',
      },
    ]);
  });

  it('a clarification request decides nothing yet: the alert stays open', () => {
    const { store, id } = storeWithStatAlert('MedicationRequest/m1');
    expect(store.alerts.sharing.closeDecidedOrder(SERVER, decided('clarify'), true, T0 + 60_000)).toEqual([]);
    expect(store.alerts.get(id)?.state).toBe('new');
    expect(auditRows(store)).toEqual([]);
  });

  it('decided before its alert arrived (another subscription caught up first): the alert is stored resolved and never notified', () => {
    const { store } = storeWithStatAlert('MedicationRequest/m0');
    const sub = store.saveSubscription({
      fhirBase: SERVER,
      remoteId: 'sub-orders',
      topic: 'orders',
      channel: 'sse',
      endpoint: null,
      heartbeatSeconds: 30,
      owner: 'Practitioner/pharmacist',
    });
    expect(store.alerts.sharing.closeDecidedOrder(SERVER, decided('verify'), false, T0 + 60_000)).toEqual([]);
    store.commitEvents(
      sub.key,
      sub.topic,
      [{ eventNumber: 1, focus: 'MedicationRequest/m1', occurredAt: new Date(T0).toISOString() }],
      'replay',
    );
    const id = `${sub.key}:1`;
    expect(store.alerts.get(id)).toMatchObject({
      state: 'resolved',
      lifecycle: {
        resolvedBy: 'Practitioner/pharmacist',
        resolvedElsewhere: true,
        notifyState: 'not-required',
      },
    });
    // Classified as interrupting, then revised (the order changed) and classified again: never notified.
    const classify = () =>
      store.alerts.saveClassification(
        id,
        {
          tier: 'high',
          headline: 'ondansetron (stat)',
          reason: 'stat',
          patientRef: 'Patient/p1',
          patientName: 'Ada Lovelace',
          location: null,
          fetchStatus: 'ok',
        },
        true,
      );
    classify();
    expect(store.alerts.awaitingNotification().map((a) => a.id)).not.toContain(id);
    store.commitEvents(
      sub.key,
      sub.topic,
      [{ eventNumber: 2, focus: 'MedicationRequest/m1', occurredAt: new Date(T0).toISOString() }],
      'live',
    );
    expect(store.alerts.awaitingRecheck()).toEqual([id]);
    expect(store.alerts.revise(id, 'version 2', T0 + 120_000)).toBe(true);
    classify();
    expect(store.alerts.awaitingNotification().map((a) => a.id)).not.toContain(id);
    // Her own decision, then the server's copy of it: a later alert about the order is closed as done here.
    store.alerts.sharing.closeDecidedOrder(
      SERVER,
      { ...decided('reject'), order: 'MedicationRequest/m2' },
      true,
      T0,
    );
    store.alerts.sharing.closeDecidedOrder(
      SERVER,
      { ...decided('reject'), order: 'MedicationRequest/m2' },
      false,
      T0,
    );
    store.commitEvents(
      sub.key,
      sub.topic,
      [{ eventNumber: 3, focus: 'MedicationRequest/m2', occurredAt: new Date(T0).toISOString() }],
      'live',
    );
    expect(store.alerts.get(`${sub.key}:3`)?.lifecycle).toMatchObject({ resolvedElsewhere: false });
    // Another order on that server is another order.
    store.commitEvents(
      sub.key,
      sub.topic,
      [{ eventNumber: 4, focus: 'MedicationRequest/m9', occurredAt: new Date(T0).toISOString() }],
      'live',
    );
    expect(store.alerts.get(`${sub.key}:4`)?.state).toBe('new');
  });

  it('decided here: resolved as done on this workstation, also after she acknowledged it', () => {
    const { store, id } = storeWithStatAlert('MedicationRequest/m1');
    expect(store.alerts.acknowledge(id, 'Practitioner/pharmacist', null, null, T0 + 30_000)).toBe(true);
    expect(store.alerts.sharing.closeDecidedOrder(SERVER, decided('verify'), true, T0 + 60_000)).toEqual([
      id,
    ]);
    expect(store.alerts.get(id)?.lifecycle?.resolvedElsewhere).toBe(false);
    expect(auditRows(store).at(-1)).toEqual({
      action: 'state:resolved',
      actor: 'Practitioner/pharmacist',
      detail: 'order verified',
    });
  });
});
