import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  normalizeEventNumber,
  parseNotificationBundle,
  parseNotificationText,
  resolveReference,
} from '../../../../src-main/core/notifications/parse-bundle.ts';
import type { ParsedNotification } from '../../../../src-main/core/notifications/types.ts';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/notifications/', import.meta.url));

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as Record<string, unknown>;
}

function parsed(json: unknown): ParsedNotification {
  const result = parseNotificationBundle(json);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.notification;
}

function failure(json: unknown): string {
  const result = parseNotificationBundle(json);
  if (result.ok) throw new Error('expected a parse failure');
  return result.error;
}

/** The status resource of a fixture, for mutation in bad-input tests. */
function statusOf(json: Record<string, unknown>): Record<string, unknown> {
  const entries = json['entry'] as { resource: Record<string, unknown> }[];
  const first = entries[0];
  if (!first) throw new Error('fixture without entries');
  return first.resource;
}

const SUB = 'https://example.org/fhir/Subscription/admission';
const ENC = 'https://example.org/fhir/Encounter/86009987-eabe-42bf-8c02-b112b18cb616';
const PAT = 'https://example.org/fhir/Patient/1599eb66-431a-447c-a3de-6897fe9ae9a1';
const TOPIC = 'http://example.org/FHIR/SubscriptionTopic/encounter-complete';

describe('parseNotificationBundle: IG R4 backport (Parameters)', () => {
  it('id-only event-notification', () => {
    const n = parsed(fixture('r4-id-only.json'));
    expect(n).toMatchObject({
      type: 'event-notification',
      subscription: SUB,
      topic: TOPIC,
      status: 'active',
      eventsSinceSubscriptionStart: '2',
      errors: [],
    });
    expect(n.events).toEqual([
      { eventNumber: '2', timestamp: '2020-05-29T11:44:13.1882432-05:00', focus: ENC, additionalContext: [] },
    ]);
    expect(Object.keys(n.resources)).toEqual([]);
  });

  it('heartbeat and handshake carry counts and no events', () => {
    const hb = parsed(fixture('r4-heartbeat.json'));
    expect(hb).toMatchObject({ type: 'heartbeat', eventsSinceSubscriptionStart: '2', events: [] });
    const hs = parsed(fixture('r4-handshake.json'));
    expect(hs).toMatchObject({ type: 'handshake', status: 'requested', eventsSinceSubscriptionStart: '0' });
  });

  it('empty payload: event number and timestamp, no focus, no topic', () => {
    const n = parsed(fixture('r4-empty.json'));
    expect(n.topic).toBeNull();
    expect(n.events).toEqual([
      {
        eventNumber: '2',
        timestamp: '2020-05-29T11:44:13.1882432-05:00',
        focus: null,
        additionalContext: [],
      },
    ]);
  });

  it('full-resource: resources keyed by fullUrl, additional context kept', () => {
    const n = parsed(fixture('r4-full-resource.json'));
    expect(n.events[0]?.focus).toBe(ENC);
    expect(n.events[0]?.additionalContext).toEqual([PAT]);
    expect(Object.keys(n.resources).sort()).toEqual([ENC, PAT].sort());
    expect(n.resources[ENC]).toMatchObject({ resourceType: 'Encounter', status: 'finished' });
  });

  it('error query-status: status error and the error code', () => {
    const n = parsed(fixture('r4-error.json'));
    expect(n).toMatchObject({ type: 'query-status', status: 'error', eventsSinceSubscriptionStart: '3' });
    expect(n.errors).toEqual(['http://terminology.hl7.org/CodeSystem/subscription-error#no-response']);
  });

  it('our SSE server bundle (docs/sse-channel.md §4), absolute references kept as sent', () => {
    const n = parsed(fixture('sse-event-notification.json'));
    expect(n.subscription).toBe('http://127.0.0.1:8080/fhir/Subscription/sub-1');
    expect(n.events[0]).toMatchObject({
      eventNumber: '7',
      focus: 'http://127.0.0.1:8080/fhir/Observation/obs-7',
    });
  });

  it('JSON integers for numbers (sloppy server) become decimal strings', () => {
    const n = parsed(fixture('r4-integer-numbers.json'));
    expect(n.eventsSinceSubscriptionStart).toBe('8');
    expect(n.events[0]).toMatchObject({ eventNumber: '8', focus: 'Observation/obs-8' });
  });
});

describe('parseNotificationBundle: R4B and R5 SubscriptionStatus', () => {
  it('R4B id-only in a history Bundle', () => {
    const n = parsed(fixture('r4b-id-only.json'));
    expect(n).toMatchObject({ type: 'event-notification', subscription: SUB, topic: TOPIC });
    expect(n.events[0]).toMatchObject({ eventNumber: '2', focus: ENC });
  });

  it('R4B heartbeat', () => {
    expect(parsed(fixture('r4b-heartbeat.json'))).toMatchObject({ type: 'heartbeat', events: [] });
  });

  it('R5 id-only: entry without resource is not a resource', () => {
    const n = parsed(fixture('r5-id-only.json'));
    expect(n.subscription).toBe('http://example.org/FHIR/R5/Subscription/123');
    expect(n.events[0]).toMatchObject({ eventNumber: '2', focus: 'http://example.org/FHIR/R5/Encounter/2' });
    expect(Object.keys(n.resources)).toEqual([]);
  });

  it('R5 handshake and empty', () => {
    expect(parsed(fixture('r5-handshake.json'))).toMatchObject({
      type: 'handshake',
      status: 'requested',
      eventsSinceSubscriptionStart: '0',
    });
    const empty = parsed(fixture('r5-empty.json'));
    expect(empty.topic).toBeNull();
    expect(empty.events[0]?.focus).toBeNull();
  });

  it('$status searchset (query-status)', () => {
    expect(parsed(fixture('r5-query-status-searchset.json'))).toMatchObject({
      type: 'query-status',
      eventsSinceSubscriptionStart: '12',
    });
  });
});

describe('parseNotificationBundle: real-server quirks', () => {
  it('candle heartbeat repeating the last event is still a heartbeat (pipeline must dedupe)', () => {
    const n = parsed(fixture('candle-r4-heartbeat-repeats-last-event.json'));
    expect(n.type).toBe('heartbeat');
    expect(n.events.map((e) => e.eventNumber)).toEqual(['5']);
  });

  it('candle subscription as valueString; entry[0] without request', () => {
    const n = parsed(fixture('candle-r4-subscription-valuestring.json'));
    expect(n.subscription).toBe('http://localhost:5826/fhir/r4/Subscription/encounter-complete');
  });

  it('candle full-resource entries without request', () => {
    const n = parsed(fixture('candle-r4-full-resource-no-request.json'));
    expect(Object.keys(n.resources)).toEqual(['http://localhost:5826/fhir/r4/Encounter/enc-6']);
  });

  it('Medplum: SubscriptionStatus inside R4, eventNumber "0", no count, relative focus', () => {
    const hs = parsed(fixture('medplum-handshake.json'));
    expect(hs).toMatchObject({ type: 'handshake', eventsSinceSubscriptionStart: null });
    expect(parsed(fixture('medplum-heartbeat.json')).type).toBe('heartbeat');
    const ev = parsed(fixture('medplum-event-number-zero.json'));
    expect(ev.events[0]).toMatchObject({ eventNumber: '0', focus: 'Observation/obs-9' });
    expect(ev.subscription).toBe('Subscription/7f1d9c0e-1111-4a2b-9c3d-000000000001');
    expect(Object.keys(ev.resources)).toEqual(['https://api.medplum.com/fhir/R4/Observation/obs-9']);
  });

  it('HAPI: timestamp as valueDate, versioned relative focus kept as sent', () => {
    const n = parsed(fixture('hapi-r4-valuedate.json'));
    expect(n.events[0]).toEqual({
      eventNumber: '3',
      timestamp: '2026-11-22',
      focus: 'Observation/5/_history/1',
      additionalContext: [],
    });
  });

  it('0.1.0 ballot: valueUnsignedInt counts; event synthesized from events-in-notification', () => {
    const n = parsed(fixture('legacy-010-unsignedint.json'));
    expect(n.eventsSinceSubscriptionStart).toBe('5');
    expect(n.events).toEqual([
      {
        eventNumber: '5',
        timestamp: null,
        focus: 'https://example.org/fhir/Observation/obs-5',
        additionalContext: [],
      },
    ]);
    expect(parsed(fixture('legacy-010-heartbeat.json'))).toMatchObject({
      type: 'heartbeat',
      eventsSinceSubscriptionStart: '5',
      events: [],
    });
  });

  it('STU2 draft Basic with xver extensions (type as modifierExtension)', () => {
    const n = parsed(fixture('stu2-basic.json'));
    expect(n).toMatchObject({
      type: 'event-notification',
      subscription: SUB,
      topic: TOPIC,
      status: 'active',
      eventsSinceSubscriptionStart: '4',
    });
    expect(n.events).toEqual([
      {
        eventNumber: '4',
        timestamp: '2020-05-29T11:44:13.1882432-05:00',
        focus: ENC,
        additionalContext: [PAT],
      },
    ]);
  });

  it('HTML in text fields stays inert data, byte for byte', () => {
    const json = fixture('html-in-strings.json');
    const n = parsed(json);
    const obs = n.resources['https://example.org/fhir/Observation/obs-html'] as {
      text: { div: string };
      note: { text: string }[];
    };
    expect(obs.text.div).toContain('<script>alert(1)</script>');
    expect(obs.note[0]?.text).toBe('<b>bold</b> &amp; <a href="javascript:alert(3)">x</a>');
  });
});

describe('parseNotificationBundle: bad input', () => {
  it.each([null, undefined, 42, 'Bundle', true, [], [{ resourceType: 'Bundle' }]])(
    'non-object JSON value %j is an error, not a throw',
    (value) => {
      expect(failure(value)).toMatch(/not a JSON object/);
    },
  );

  it('wrong resourceType / Bundle.type', () => {
    expect(failure({ ...fixture('r4-id-only.json'), resourceType: 'Parameters' })).toMatch(/not a Bundle/);
    expect(failure({ ...fixture('r4-id-only.json'), type: 'transaction' })).toMatch(/Bundle.type/);
  });

  it('no status entry, or a status of the wrong type', () => {
    expect(failure({ resourceType: 'Bundle', type: 'history' })).toMatch(/no status entry/);
    expect(failure({ resourceType: 'Bundle', type: 'history', entry: [] })).toMatch(/no status entry/);
    expect(failure({ resourceType: 'Bundle', type: 'history', entry: [{ fullUrl: 'x' }] })).toMatch(
      /no status resource/,
    );
    expect(
      failure({
        resourceType: 'Bundle',
        type: 'history',
        entry: [{ resource: { resourceType: 'Patient' } }],
      }),
    ).toMatch(/not Parameters, SubscriptionStatus or Basic/);
    const basic = fixture('stu2-basic.json');
    statusOf(basic)['code'] = {
      coding: [{ system: 'http://hl7.org/fhir/fhir-types', code: 'Patient' }],
    };
    expect(failure(basic)).toMatch(/not coded as a SubscriptionStatus/);
  });

  it('event-notification without notificationEvent violates sst-1', () => {
    const json = fixture('r4b-id-only.json');
    delete statusOf(json)['notificationEvent'];
    expect(failure(json)).toMatch(/sst-1/);
  });

  it('unknown notification type, missing subscription', () => {
    const a = fixture('r4b-id-only.json');
    statusOf(a)['type'] = 'surprise';
    expect(failure(a)).toMatch(/notification type/);
    const b = fixture('r4b-id-only.json');
    delete statusOf(b)['subscription'];
    expect(failure(b)).toMatch(/no subscription reference/);
  });

  it.each(['-1', '1.5', 'abc', '', ' 7', '0x10', '1e3', '99999999999999999999', -3, 2.5, Number.NaN, null])(
    'event number %j is rejected without echoing it',
    (bad) => {
      const json = fixture('r4b-id-only.json');
      statusOf(json)['notificationEvent'] = [{ eventNumber: bad }];
      const error = failure(json);
      expect(error).toMatch(/eventNumber is not a non-negative decimal integer/);
      if (typeof bad === 'string' && bad.length > 1) expect(error).not.toContain(bad);
    },
  );

  it('negative count in Parameters is rejected', () => {
    const json = fixture('r4-heartbeat.json');
    const params = statusOf(json)['parameter'] as { name: string; valueString?: string }[];
    for (const p of params) if (p.name === 'events-since-subscription-start') p.valueString = '-4';
    expect(failure(json)).toMatch(/events-since-subscription-start/);
  });

  it('error messages never contain resource contents', () => {
    const json = fixture('html-in-strings.json');
    statusOf(json)['resourceType'] = '<script>PHI John Smith</script>';
    const error = failure(json);
    expect(error).not.toMatch(/<script>|John/);
  });

  it('__proto__ fullUrl cannot pollute prototypes', () => {
    const json = fixture('r4-id-only.json') as { entry: unknown[] };
    json.entry.push({ fullUrl: '__proto__', resource: { resourceType: 'Observation', polluted: true } });
    const n = parsed(json);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(n.resources['__proto__']).toMatchObject({ polluted: true });
  });

  it('parseNotificationText: invalid JSON text is an error', () => {
    expect(parseNotificationText('{"resourceType":')).toEqual({
      ok: false,
      error: 'notification is not valid JSON',
    });
    expect(parseNotificationText(JSON.stringify(fixture('r4-id-only.json'))).ok).toBe(true);
  });
});

describe('normalizeEventNumber', () => {
  it('canonicalises decimal strings and safe integers', () => {
    expect(normalizeEventNumber('0007')).toBe('7');
    expect(normalizeEventNumber(0)).toBe('0');
    expect(normalizeEventNumber('9223372036854775807')).toBe('9223372036854775807');
    expect(normalizeEventNumber('9223372036854775808')).toBeNull();
    expect(normalizeEventNumber(7.0)).toBe('7');
  });
});

describe('resolveReference', () => {
  const base = 'http://127.0.0.1:8080/fhir';

  it('relative references are on this server', () => {
    expect(resolveReference('Observation/obs-7', base)).toEqual({
      relative: 'Observation/obs-7',
      version: null,
      sameOrigin: true,
    });
    expect(resolveReference('Observation/5/_history/1', base)).toEqual({
      relative: 'Observation/5',
      version: '1',
      sameOrigin: true,
    });
  });

  it('absolute references under the base are same-origin', () => {
    expect(resolveReference('http://127.0.0.1:8080/fhir/Observation/obs-7', `${base}/`)).toEqual({
      relative: 'Observation/obs-7',
      version: null,
      sameOrigin: true,
    });
    // Default port normalisation.
    expect(resolveReference('https://ex.org:443/r4/Patient/p1', 'https://ex.org/r4')?.sameOrigin).toBe(true);
  });

  it('absolute references on another origin or another base are flagged', () => {
    expect(resolveReference('https://evil.example/fhir/Observation/obs-7', base)).toEqual({
      relative: 'Observation/obs-7',
      version: null,
      sameOrigin: false,
    });
    expect(resolveReference('http://127.0.0.1:9999/fhir/Observation/1', base)?.sameOrigin).toBe(false);
    expect(resolveReference('http://127.0.0.1:8080/other/Observation/1', base)?.sameOrigin).toBe(false);
    expect(resolveReference('http://127.0.0.1:8080/fhirx/Observation/1', base)?.sameOrigin).toBe(false);
  });

  it('unfetchable or unsafe references resolve to null', () => {
    for (const ref of [
      'urn:uuid:6b1c0000-0000-4000-8000-000000000000',
      '#contained',
      'Observation',
      'Observation/../../admin',
      'Observation/a b',
      'observation/1',
      'http://127.0.0.1:8080/fhir/Observation/1?x=1',
      'http://127.0.0.1:8080/fhir/Observation/1/extra',
      'javascript:alert(1)',
      'http://[bad',
    ]) {
      expect(resolveReference(ref, base), ref).toBeNull();
    }
  });
});
