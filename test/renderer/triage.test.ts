// The critical list and the counts, as a charge nurse needs them after a busy stretch: the most overdue
// and escalated criticals first, grouped by patient, and one count everywhere; information (admissions,
// discharges, routine orders) is never unread or needing action.
import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import {
  actionCounts,
  DEFAULT_FILTERS,
  facets,
  filterAlerts,
  isUnread,
  unreadCounts,
} from '../../src-renderer/feed/feed-model.ts';
import { identityText, sameNameReferences, wardOf } from '../../src-renderer/feed/identity.ts';
import { laterNormal, trendRecheckInterval } from '../../src-renderer/feed/later-result.ts';
import { triage, triageCounts } from '../../src-renderer/feed/triage.ts';
import { alertSummary } from '../support/alert-summary.ts';

const NOW = Date.parse('2026-06-14T12:00:00Z');
const NOW_ISO = new Date(NOW).toISOString();
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

const alert = (n: number, over: Partial<AlertSummary> = {}): AlertSummary =>
  alertSummary(n, {
    location: 'Ward A bed 1',
    occurredAt: minutesAgo(n),
    receivedAt: minutesAgo(n),
    ...over,
  });

describe('the critical list', () => {
  it('puts overdue, then escalated, then the oldest first, and groups a patient’s alerts in one block', () => {
    const escalated = (n: number, patient = `Patient/p${n}`) =>
      alert(n, {
        state: 'escalated',
        patient: { reference: patient, name: 'Omar Garcia', mrn: 'PT-0001' },
        lifecycle: { escalationLevel: 1 } as AlertSummary['lifecycle'],
      });
    const list = [
      alert(1), // newest, waiting
      escalated(12), // escalated, 12 min
      alert(2, { patient: { reference: 'Patient/p12', name: 'Omar Garcia', mrn: 'PT-0001' } }),
      alert(35), // overdue (past 30 min)
      escalated(18, 'Patient/p18'),
      alert(40, { state: 'acknowledged' }), // not on the list
      alert(3, { tier: 'info' }),
    ];
    const blocks = triage(list, NOW);
    expect(blocks.map((b) => [b.key, b.lines.map((l) => [l.alert.id, l.urgency])])).toEqual([
      ['Patient/p35', [['s:35', 'overdue']]],
      ['Patient/p18', [['s:18', 'escalated']]],
      [
        'Patient/p12',
        [
          ['s:12', 'escalated'],
          ['s:2', 'waiting'],
        ],
      ],
      ['Patient/p1', [['s:1', 'waiting']]],
    ]);
    expect(triageCounts(blocks)).toEqual({ alerts: 5, patients: 4, overdue: 1, escalated: 2 });
  });

  it('an escalated critical nobody has opened is still unread, in every count', () => {
    const neverOpened = alert(1, {
      state: 'escalated',
      lifecycle: { escalationLevel: 1 } as AlertSummary['lifecycle'],
    });
    const opened = alert(2, {
      state: 'escalated',
      lifecycle: { escalationLevel: 1, seenAt: NOW_ISO } as AlertSummary['lifecycle'],
    });
    expect(isUnread(neverOpened)).toBe(true);
    expect(isUnread(opened)).toBe(false);
    expect(actionCounts([neverOpened, opened])).toMatchObject({ escalated: 2, unread: 1 });
    expect(unreadCounts([neverOpened, opened])).toMatchObject({ total: 1, critical: 1 });
    // Information is never unread, new or not.
    expect(isUnread(alert(3, { tier: 'info', focus: 'Encounter/e3' }))).toBe(false);
  });

  it('counts the same open criticals as the list shows, and never counts information as unread', () => {
    const list = [
      alert(1),
      alert(2, { state: 'seen' }),
      alert(3, {
        state: 'escalated',
        lifecycle: { escalationLevel: 2, seenAt: NOW_ISO } as AlertSummary['lifecycle'],
      }),
      alert(4, { state: 'acknowledged' }),
      alert(5, { tier: 'high' }),
      alert(6, { tier: 'info', focus: 'Encounter/e6' }),
      alert(7, { tier: 'info', focus: 'Encounter/e7' }),
    ];
    expect(actionCounts(list)).toEqual({ openCritical: 3, escalated: 1, unread: 2, information: 2 });
    expect(triageCounts(triage(list, NOW)).alerts).toBe(actionCounts(list).openCritical);
    expect(unreadCounts(list)).toMatchObject({ total: 2, critical: 1, high: 1, info: 0 });
    expect(filterAlerts(list, DEFAULT_FILTERS).map((a) => a.id)).not.toContain('s:6');
    expect(filterAlerts(list, { ...DEFAULT_FILTERS, show: 'information' }).map((a) => a.id)).toEqual([
      's:6',
      's:7',
    ]);
  });
});

describe('patient identity', () => {
  it('names the patient with the MRN, else the date of birth, and warns about shared names', () => {
    expect(identityText({ reference: 'Patient/a', name: 'Omar Garcia', mrn: 'PT-0001' })).toBe(
      'Omar Garcia · MRN PT-0001',
    );
    expect(identityText({ reference: 'Patient/a', name: 'Omar Garcia', birthDate: '1951-07-04' })).toBe(
      'Omar Garcia · born 1951-07-04',
    );
    expect(identityText(null)).toBe('Unknown patient');
    const shared = sameNameReferences([
      { reference: 'Patient/a', name: 'Omar Garcia' },
      { reference: 'Patient/b', name: 'omar  garcia' },
      { reference: 'Patient/a', name: 'Omar Garcia' },
      { reference: 'Patient/c', name: 'Chen Schmidt' },
    ]);
    expect([...shared].sort()).toEqual(['Patient/a', 'Patient/b']);
  });

  it('filters by ward, never by bed, and lists patients with their MRN', () => {
    const list = [
      alert(1, { location: 'Ward A bed 1', ward: 'Ward A (adult medical)' }),
      alert(2, { location: 'Ward A bed 26', ward: 'Ward A (adult medical)' }),
      alert(3, { location: 'Ward B bed 4' }),
    ];
    expect(wardOf(list[2] as AlertSummary)).toBe('Ward B');
    const f = facets(list);
    expect(f.locations).toEqual(['Ward A (adult medical)', 'Ward B']);
    expect(f.patients[0]).toEqual({ reference: 'Patient/p1', name: 'Pat 1', distinguisher: 'MRN PT-1' });
    expect(
      filterAlerts(list, { ...DEFAULT_FILTERS, location: 'Ward A (adult medical)' }).map((a) => a.id),
    ).toEqual(['s:1', 's:2']);
    expect(filterAlerts(list, { ...DEFAULT_FILTERS, search: 'pt-2' }).map((a) => a.id)).toEqual(['s:2']);
  });
});

describe('a later normal result', () => {
  const point = (reference: string, at: string, interpretation: string, value: number) => ({
    reference,
    at,
    interpretation,
    value,
    unit: '{INR}',
  });
  const trend = (...points: ReturnType<typeof point>[]) => ({
    reference: 'Observation/inr',
    status: 'ok' as const,
    message: null,
    codeDisplay: 'INR',
    points,
  });

  it('is the newest later result when the lab flagged it normal', () => {
    const t = trend(
      point('Observation/old', minutesAgo(300), 'N', 1.0),
      point('Observation/inr', minutesAgo(120), 'HH', 5.6),
      point('Observation/later', minutesAgo(30), 'N', 1.1),
    );
    expect(laterNormal(t, 'Observation/inr')?.value).toBe(1.1);
    expect(laterNormal(t, 'Observation/later')).toBeNull();
  });

  it('is nothing when the newest later result is not normal again', () => {
    const t = trend(
      point('Observation/inr', minutesAgo(120), 'HH', 5.6),
      point('Observation/later', minutesAgo(60), 'N', 1.1),
      point('Observation/again', minutesAgo(10), 'HH', 5.9),
    );
    expect(laterNormal(t, 'Observation/inr')).toBeNull();
    expect(laterNormal(undefined, 'Observation/inr')).toBeNull();
  });

  it('is looked for again when a final report is pushed, and on a timer only where none can be', () => {
    expect(trendRecheckInterval(true)).toBe(false);
    expect(trendRecheckInterval(false)).toBe(30_000);
  });
});
