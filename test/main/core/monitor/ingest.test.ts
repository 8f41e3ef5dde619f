// What ingest accepts from a notification before anything is committed.
import { describe, expect, it } from 'vitest';
import { looksUnsequenced, ownStatus, toIncoming } from '../../../../src-main/core/monitor/ingest.ts';
import { parseNotificationBundle } from '../../../../src-main/core/notifications/parse-bundle.ts';
import type { NotificationEvent } from '../../../../src-main/core/notifications/types.ts';

const BASE = 'http://127.0.0.1:9/fhir';
const event = (eventNumber: string, focus: string | null = 'Observation/o1'): NotificationEvent => ({
  eventNumber,
  focus,
  timestamp: '2026-11-22T10:00:00Z',
  additionalContext: [],
});

describe('ingest', () => {
  it('keeps a usable event number and a same-origin focus as a relative reference', () => {
    expect(toIncoming(event('12', `${BASE}/Observation/o1`), BASE)).toEqual({
      eventNumber: 12,
      focus: 'Observation/o1',
      occurredAt: '2026-11-22T10:00:00Z',
    });
  });

  it('refuses unusable numbers and keeps a foreign focus out of the store', () => {
    expect(toIncoming(event('-1'), BASE)).toBeNull();
    expect(toIncoming(event('1e3'), BASE)).toBeNull();
    expect(toIncoming(event('1234567890123456'), BASE)).toBeNull();
    expect(toIncoming(event('3', 'https://elsewhere.example/fhir/Observation/o1'), BASE)?.focus).toBeNull();
  });

  it('recognises a server without usable numbers: constant "0" or events without a focus', () => {
    expect(looksUnsequenced([event('1'), event('2')])).toBeNull();
    expect(looksUnsequenced([event('0')])).toBe('event number 0');
    expect(looksUnsequenced([event('4', null)])).toBe('notifications without a focus (empty payload)');
  });

  it('takes the focus version and lastUpdated from the resource a full-resource event carries', () => {
    const resources = {
      [`${BASE}/Observation/o1`]: {
        resourceType: 'Observation',
        id: 'o1',
        meta: { versionId: 'v-7', lastUpdated: '2026-11-22T10:00:01.000Z' },
      },
    };
    expect(toIncoming(event('0', 'Observation/o1'), BASE, resources)).toEqual({
      eventNumber: 0,
      focus: 'Observation/o1',
      occurredAt: '2026-11-22T10:00:00Z',
      version: 'v-7',
      lastUpdated: '2026-11-22T10:00:01.000Z',
    });
  });

  it('reads its own status from a heartbeat that lists several subscriptions', () => {
    const status = (id: string, since: string) => ({
      resource: {
        resourceType: 'SubscriptionStatus',
        status: id === 'b' ? 'error' : 'active',
        type: 'heartbeat',
        eventsSinceSubscriptionStart: since,
        subscription: { reference: `Subscription/${id}` },
      },
    });
    const parsed = parseNotificationBundle({
      resourceType: 'Bundle',
      type: 'history',
      entry: [status('a', '4'), status('b', '9')],
    });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(ownStatus(parsed.notification, 'b')).toMatchObject({
      status: 'error',
      eventsSinceSubscriptionStart: '9',
    });
    expect(ownStatus(parsed.notification, 'a')).toMatchObject({
      status: 'active',
      eventsSinceSubscriptionStart: '4',
    });
  });
});
