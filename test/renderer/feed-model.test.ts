import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import {
  ackTimer,
  facets,
  filterAlerts,
  NO_FILTERS,
  pinnedCriticals,
  unreadCounts,
  upsertAlert,
} from '../../src-renderer/feed/feed-model.ts';

const alert = (n: number, over: Partial<AlertSummary> = {}): AlertSummary => ({
  id: `s:${n}`,
  subscriptionKey: 's',
  eventNumber: String(n),
  topic: 't',
  focus: `Observation/o${n}`,
  tier: 'info',
  headline: `Sodium ${n}`,
  reason: '',
  patient: { reference: `Patient/p${n % 3}`, name: `Pat ${n % 3}` },
  location: n % 2 ? 'Ward A' : 'Ward B',
  occurredAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  receivedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  state: 'new',
  fetch: 'ok',
  ...over,
});

describe('feed model', () => {
  it('keeps newest first on insert and replaces in place on update', () => {
    let list: AlertSummary[] = [];
    for (const n of [3, 1, 5, 2, 4]) list = upsertAlert(list, alert(n));
    expect(list.map((a) => a.eventNumber)).toEqual(['5', '4', '3', '2', '1']);
    list = upsertAlert(list, alert(3, { tier: 'critical', headline: 'K 6.8' }));
    expect(list.map((a) => a.eventNumber)).toEqual(['5', '4', '3', '2', '1']);
    expect(list[2]?.tier).toBe('critical');
  });

  it('filters by tier, type, ward, patient and search together', () => {
    const list = [alert(1, { tier: 'critical', headline: 'Potassium 6.8' }), alert(2), alert(3)];
    expect(filterAlerts(list, NO_FILTERS)).toBe(list);
    expect(filterAlerts(list, { ...NO_FILTERS, tier: 'critical' }).map((a) => a.id)).toEqual(['s:1']);
    expect(filterAlerts(list, { ...NO_FILTERS, location: 'Ward B' }).map((a) => a.id)).toEqual(['s:2']);
    expect(filterAlerts(list, { ...NO_FILTERS, patient: 'Patient/p0' }).map((a) => a.id)).toEqual(['s:3']);
    expect(filterAlerts(list, { ...NO_FILTERS, search: 'POTASS' }).map((a) => a.id)).toEqual(['s:1']);
    expect(filterAlerts(list, { ...NO_FILTERS, type: 'MedicationRequest' })).toEqual([]);
  });

  it('pins only unacknowledged criticals and counts unread by tier', () => {
    const list = [
      alert(1, { tier: 'critical' }),
      alert(2, { tier: 'critical', state: 'acknowledged' }),
      alert(3, { tier: 'high', state: 'seen' }),
      alert(4, { tier: 'high' }),
    ];
    expect(pinnedCriticals(list).map((a) => a.id)).toEqual(['s:1']);
    expect(unreadCounts(list)).toMatchObject({ total: 2, critical: 1, high: 1 });
    expect(facets(list).locations).toEqual(['Ward A', 'Ward B']);
  });

  it('times criticals against the 30-minute target', () => {
    const t = Date.parse('2026-01-01T10:00:00Z');
    expect(ackTimer('2026-01-01T09:50:00Z', t)).toEqual({
      elapsed: '10:00',
      overdue: false,
      left: '20:00 left',
    });
    expect(ackTimer('2026-01-01T09:20:00Z', t)).toMatchObject({ overdue: true, left: '10:00 over' });
  });
});
