// An alert as the page receives it (AlertSummary): a new critical potassium about Patient/p<n>, MRN
// PT-<n>, on Ward A bed <n>, for the renderer's tests. `over` changes any field.
import type { AlertSummary } from '../../src-main/shared/api.ts';

export const alertSummary = (n: number, over: Partial<AlertSummary> = {}): AlertSummary => ({
  id: `s:${n}`,
  subscriptionKey: 's',
  eventNumber: String(n),
  topic: 't',
  focus: `Observation/o${n}`,
  tier: 'critical',
  headline: `Potassium 6.${n} mmol/L`,
  reason: '',
  patient: { reference: `Patient/p${n}`, name: `Pat ${n}`, mrn: `PT-${n}` },
  location: `Ward A bed ${n}`,
  occurredAt: '2026-06-14T12:00:00Z',
  receivedAt: '2026-06-14T12:00:00Z',
  state: 'new',
  fetch: 'ok',
  ...over,
});
