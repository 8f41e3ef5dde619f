// Every OS notification is worded in one place: first alert, escalation and offline summary, each with
// privacy mode. A private notification must carry no value, no name and no bed.
import { describe, expect, it } from 'vitest';
import {
  alertNotification,
  escalationNotification,
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
  patient: { reference: 'Patient/p1', name: 'Ada Lovelace' },
  location: 'Ward A bed 1',
  occurredAt: '2026-11-22T10:00:00.000Z',
  receivedAt: '2026-11-22T10:00:01.000Z',
  state: 'new',
  fetch: 'ok',
  summary: 'K 6.8 mmol/L > 6.2',
  ruleId: 'threshold:potassium',
};
const PHI = /6\.8|Potassium|Ada|Lovelace|Ward A/;

describe('notification text', () => {
  it('words a first critical with value, limit, bed and patient', () => {
    expect(alertNotification(critical, false)).toEqual({
      alertId: critical.id,
      tier: 'critical',
      title: 'CRITICAL: Potassium 6.8 mmol/L',
      body: 'K 6.8 mmol/L > 6.2 — Ward A bed 1 — Ada Lovelace',
      kind: 'alert',
    });
  });

  it('leaves out what is unknown and falls back to the reason without a summary line', () => {
    const high = { ...critical, tier: 'high' as const, summary: null, location: null, patient: null };
    expect(alertNotification(high, false)).toMatchObject({
      tier: 'high',
      title: 'High priority: Potassium 6.8 mmol/L',
      body: 'critical high (HH)',
    });
  });

  it('says nothing identifying in privacy mode, for the first alert and the escalation', () => {
    const first = alertNotification(critical, true);
    expect(first).toMatchObject({ title: 'Critical lab result', body: 'Open Alert Monitor to review.' });
    const escalation = escalationNotification(critical, 2, true);
    expect(escalation).toMatchObject({
      alertId: critical.id,
      tier: 'critical',
      kind: 'escalation',
      title: 'Critical result not acknowledged',
      body: 'Open Alert Monitor to acknowledge.',
    });
    expect(JSON.stringify([first, escalation])).not.toMatch(PHI);
  });

  it('words an escalation with its level', () => {
    expect(escalationNotification(critical, 2, false)).toMatchObject({
      title: 'ESCALATED: Potassium 6.8 mmol/L',
      body: 'Not acknowledged (2) — K 6.8 mmol/L > 6.2 — Ward A bed 1 — Ada Lovelace',
    });
    expect(escalationNotification({ ...critical, headline: '' }, 1, false).title).toBe(
      'ESCALATED: critical result',
    );
  });

  it('summarises offline criticals without naming any of them', () => {
    expect(offlineSummaryNotification(5)).toEqual({
      alertId: null,
      tier: 'critical',
      title: '5 critical results arrived while offline',
      body: 'Open Alert Monitor to review them.',
      kind: 'summary',
    });
  });
});
