// Every OS notification is worded in one place: first alert, escalation and offline summary, each with
// privacy mode. A private notification names the test and the bed, never a value or a name; otherwise
// the patient is named with the MRN (or the date of birth), never by name alone.
import { describe, expect, it } from 'vitest';
import {
  alertNotification,
  escalationNotification,
  escalationRequestNotification,
  failSafeNotification,
  offlineSummaryNotification,
} from '../../../../src-main/core/alerting/notification-text.ts';
import type { AlertSummary } from '../../../../src-main/shared/api.ts';

const critical: AlertSummary = {
  id: 'http://127.0.0.1:9/fhir|s1:7',
  subscriptionKey: 'http://127.0.0.1:9/fhir|s1',
  eventNumber: '7',
  topic: 'topic',
  focus: 'Observation/o7',
  tier: 'critical',
  headline: 'Potassium 6.8 mmol/L',
  reason: 'critical high (HH)',
  patient: { reference: 'Patient/p1', name: 'Ada Lovelace', mrn: 'PT-0001', birthDate: '1950-03-02' },
  location: 'Ward A bed 1',
  occurredAt: '2026-11-22T10:00:00.000Z',
  receivedAt: '2026-11-22T10:00:01.000Z',
  state: 'new',
  fetch: 'ok',
  summary: 'K 6.8 mmol/L > 6.2',
  ruleId: 'threshold:potassium',
};
const PHI = /6\.8|Ada|Lovelace|PT-0001|1950/;

describe('notification text', () => {
  it('words a first critical with value, limit, bed and patient with the MRN', () => {
    expect(alertNotification(critical, false)).toEqual({
      alertId: critical.id,
      tier: 'critical',
      title: 'CRITICAL: Potassium 6.8 mmol/L',
      body: 'K 6.8 mmol/L > 6.2 — Ward A bed 1 — Ada Lovelace, MRN PT-0001',
      kind: 'alert',
      lead: 'CRITICAL',
    });
    const noMrn = {
      ...critical,
      patient: { reference: 'Patient/p1', name: 'Ada Lovelace', birthDate: '1950' },
    };
    expect(alertNotification(noMrn, false).body).toBe(
      'K 6.8 mmol/L > 6.2 — Ward A bed 1 — Ada Lovelace, born 1950',
    );
  });

  it('prints units as people read them, not as UCUM codes', () => {
    const inr = { ...critical, headline: 'INR 5.6 {INR}', summary: 'INR 5.6 {INR} > 5' };
    expect(alertNotification(inr, false)).toMatchObject({
      title: 'CRITICAL: INR 5.6 INR',
      body: expect.stringMatching(/^INR 5\.6 INR > 5 — /),
    });
    const wbc = { ...critical, headline: 'Leukocytes 55 10*3/uL' };
    expect(alertNotification(wbc, false).title).toBe('CRITICAL: Leukocytes 55 ×10³/µL');
  });

  it('leaves out what is unknown and falls back to the reason without a summary line', () => {
    const high = { ...critical, tier: 'high' as const, summary: null, location: null, patient: null };
    expect(alertNotification(high, false)).toMatchObject({
      tier: 'high',
      title: 'High priority: Potassium 6.8 mmol/L',
      body: 'critical high (HH)',
    });
  });

  it('names only the test and the bed in privacy mode, for the first alert and the escalation', () => {
    const first = alertNotification(critical, true);
    expect(first).toMatchObject({
      title: 'Critical result: Potassium',
      body: 'Ward A bed 1 — Open Alert Monitor to review.',
    });
    const escalation = escalationNotification(critical, 2, true);
    expect(escalation).toMatchObject({
      alertId: critical.id,
      tier: 'critical',
      kind: 'escalation',
      title: 'Not acknowledged: critical Potassium',
      body: 'Ward A bed 1 — Open Alert Monitor to acknowledge.',
    });
    expect(JSON.stringify([first, escalation])).not.toMatch(PHI);
    // An order names a medication: privacy mode keeps that off the screen too.
    const order = {
      ...critical,
      tier: 'high' as const,
      focus: 'MedicationRequest/m1',
      headline: 'warfarin 5 MG',
    };
    expect(alertNotification(order, true)).toMatchObject({ title: 'High-priority order to verify' });
    expect(alertNotification({ ...order, focus: 'ServiceRequest/s1' }, true).title).toBe(
      'High-priority alert',
    );
    expect(JSON.stringify(alertNotification(order, true))).not.toMatch(/warfarin/);
  });

  it('words an escalation with its level', () => {
    expect(escalationNotification(critical, 2, false)).toMatchObject({
      title: 'ESCALATED: Potassium 6.8 mmol/L',
      body: 'Not acknowledged (2) — K 6.8 mmol/L > 6.2 — Ward A bed 1 — Ada Lovelace, MRN PT-0001',
    });
    expect(escalationNotification({ ...critical, headline: '' }, 1, false).title).toBe(
      'ESCALATED: critical result',
    );
  });

  it('says what each one is for the in-app toast, the same in privacy mode, with no patient data', () => {
    for (const privacy of [false, true]) {
      const leads = [
        alertNotification(critical, privacy),
        alertNotification({ ...critical, tier: 'high' }, privacy),
        escalationNotification(critical, 1, privacy),
        escalationRequestNotification(critical, 2, privacy),
        failSafeNotification(critical, 3, [{ name: 'House supervisor', phone: 'ext. 4400' }], privacy),
      ].map((n) => n.lead);
      expect(leads).toEqual([
        'CRITICAL',
        'High priority',
        'NOT ACKNOWLEDGED',
        'ESCALATED TO YOU',
        'NOBODY HAS TAKEN IT',
      ]);
      for (const lead of leads) expect(lead).not.toMatch(PHI);
    }
  });

  it('summarises offline criticals without naming any of them', () => {
    expect(offlineSummaryNotification(5)).toEqual({
      alertId: null,
      tier: 'critical',
      title: '5 critical results arrived while offline',
      body: 'Open Alert Monitor to review them.',
      inAppBody: 'Each is in the critical list.',
      kind: 'summary',
    });
  });
});
