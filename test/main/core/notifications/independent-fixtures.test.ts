// Notification bundles written by other implementations and by the specifications' authors (the
// Backport IG's published examples and drafts, fhir-candle, athenahealth, the R5 specification, and
// bundles rebuilt from Medplum's and HAPI's bundle-building code). They are read at test time from the
// shared fixture folder beside the repository (CI checks it out as `../shared`); nothing is copied here.
//
// Every file must parse to the expected notification, or fail with a clear error; none may throw, and
// no event may take its focus from an unrelated entry (docs/interop.md lists the supported shapes).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseNotificationBundle,
  resolveReference,
} from '../../../../src-main/core/notifications/parse-bundle.ts';
import type { ParsedNotification } from '../../../../src-main/core/notifications/types.ts';

const ROOT = resolve(import.meta.dirname, '../../../../../shared/fixtures/independent-notifications');

/** Every fixture file (JSON), by folder/name; the XML transcriptions (`_…` folders) are not bundles. */
function fixtureFiles(): string[] {
  return readdirSync(ROOT)
    .filter((dir) => !dir.startsWith('_') && statSync(join(ROOT, dir)).isDirectory())
    .flatMap((dir) =>
      readdirSync(join(ROOT, dir))
        .filter((name) => name.endsWith('.json'))
        .map((name) => `${dir}/${name}`),
    )
    .sort();
}

function load(file: string): unknown {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as unknown;
}

function parsed(file: string): ParsedNotification {
  const result = parseNotificationBundle(load(file));
  if (!result.ok) throw new Error(`${file}: expected a notification, got: ${result.error}`);
  return result.notification;
}

/** `[eventNumber, focus]` per event. */
function events(n: ParsedNotification): Array<[string, string | null]> {
  return n.events.map((e) => [e.eventNumber, e.focus]);
}

const ARGO_SUB = 'https://example.org/fhir/r4/Subscription/admission';
const ARGO_ENC = 'https://example.org/fhir/r4/Encounter/551683b3-1477-41d1-b58e-32fe8b0047b0';
const IG_SUB = 'https://example.org/fhir/Subscription/admission';
const IG_ENC = 'https://example.org/fhir/Encounter/86009987-eabe-42bf-8c02-b112b18cb616';
const R5_SUB = 'http://example.org/FHIR/R5/Subscription/123';
const ATHENA_SUB = 'Subscription/62865e96-3fe4-3f6f-b476-b8eb87b90892';
const ATHENA_PATIENT_SUB = 'Subscription/b9f6db63-4883-41bb-9fef-97372cbd3fcd';

type Expected =
  | { type: ParsedNotification['type']; subscription: string; events: Array<[string, string | null]> }
  | { error: RegExp };

const ok = (
  type: ParsedNotification['type'],
  subscription: string,
  evs: Array<[string, string | null]> = [],
): Expected => ({ type, subscription, events: evs });

/** What each file must give. A new file in the folder without an entry here fails the test. */
const EXPECTED: Record<string, Expected> = {
  // Pre-release drafts (2020): the 0.1.0-era Parameters names (`subscription-url`,
  // `subscription-event-count`, `bundle-event-count`, `subscription-topic-url`); the focus is the entry
  // after the status (id-only: fullUrl without a resource), or absent (empty payload).
  ...Object.fromEntries(
    ['2020-05-29-a09120e', '2020-06-11-aff0510', '2020-07-13-713dd7f', '2020-07-21-74c436b'].flatMap(
      (draft) => [
        [
          `argonaut-backport-ig/${draft}-Bundle-3945182f-d315-4dbf-9259-09d863c7e7da.json`,
          ok('event-notification', ARGO_SUB, [['310', ARGO_ENC]]),
        ],
        [
          `argonaut-backport-ig/${draft}-Bundle-9601c07a-e34f-4945-93ca-6efb5394c995.json`,
          ok('event-notification', ARGO_SUB, [['310', null]]),
        ],
      ],
    ),
  ),
  // 2021 drafts: SubscriptionStatus with `eventsInNotification` and no `notificationEvent` (a08-02,
  // cb98485), the first entries after the status being the focus; later drafts carry notificationEvent.
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-empty.json': ok(
    'event-notification',
    ARGO_SUB,
    [['310', null]],
  ),
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-error.json': ok('query-status', ARGO_SUB),
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-full-resource.json': ok(
    'event-notification',
    ARGO_SUB,
    [['310', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-handshake.json': ok('handshake', ARGO_SUB),
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-heartbeat.json': ok('heartbeat', ARGO_SUB),
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-id-only.json': ok(
    'event-notification',
    ARGO_SUB,
    [['310', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-multi-resource.json': ok(
    'event-notification',
    ARGO_SUB,
    [['310', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-16-55503ab-Bundle-notification-full-resource.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-16-55503ab-Bundle-notification-id-only.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-16-55503ab-Bundle-notification-multi-resource.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-16-cb98485-Bundle-notification-empty.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', null]],
  ),
  'argonaut-backport-ig/2021-08-16-cb98485-Bundle-notification-error.json': ok('query-status', ARGO_SUB),
  'argonaut-backport-ig/2021-08-16-cb98485-Bundle-notification-full-resource.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-16-cb98485-Bundle-notification-heartbeat.json': ok('heartbeat', ARGO_SUB),
  'argonaut-backport-ig/2021-08-16-cb98485-Bundle-notification-id-only.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-08-16-cb98485-Bundle-notification-multi-resource.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  'argonaut-backport-ig/2021-11-09-f83297f-Bundle-notification-id-only.json': ok(
    'event-notification',
    ARGO_SUB,
    [['2', ARGO_ENC]],
  ),
  // athenahealth: identifier-only focus (no literal reference: nothing to fetch), sometimes followed by
  // an AuditEvent entry that describes the change. The AuditEvent is never the focus.
  'athenahealth/2023-04-29-97ce465-bundle.json': ok('event-notification', ATHENA_SUB, [['1', null]]),
  'athenahealth/2023-04-29-a13765e-send-appointment-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  'athenahealth/2023-04-29-a13765e-send-order-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  'athenahealth/2023-04-29-a13765e-send-patient-notification.json': ok(
    'event-notification',
    ATHENA_PATIENT_SUB,
    [['1', 'Patient/a-195900.E-1']],
  ),
  'athenahealth/2023-05-03-0f011bf-send-appointment-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  'athenahealth/2023-05-03-0f011bf-send-order-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  'athenahealth/2023-05-03-0f011bf-send-patient-notification.json': ok(
    'event-notification',
    ATHENA_PATIENT_SUB,
    [['1', 'Patient/a-195900.E-1']],
  ),
  'athenahealth/2024-11-12-686321a-send-appointment-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  'athenahealth/2024-11-12-686321a-send-order-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  'athenahealth/2024-11-12-686321a-send-patient-notification.json': ok(
    'event-notification',
    ATHENA_PATIENT_SUB,
    [['1', 'Patient/a-195900.E-1']],
  ),
  'athenahealth/2024-11-12-fd7f18f-send-appointment-notification.json': ok('event-notification', ATHENA_SUB, [
    ['1', null],
  ]),
  // The Backport IG's published examples, R4 (Parameters) and R4B (SubscriptionStatus).
  ...Object.fromEntries(
    ['r4', 'r4b'].flatMap((v) => [
      [
        `backport-ig-sushi/Bundle-${v}-notification-empty-with-auth.json`,
        ok('event-notification', IG_SUB, [['2', null]]),
      ],
      [
        `backport-ig-sushi/Bundle-${v}-notification-empty.json`,
        ok('event-notification', IG_SUB, [['2', null]]),
      ],
      [`backport-ig-sushi/Bundle-${v}-notification-error.json`, ok('query-status', IG_SUB)],
      [
        `backport-ig-sushi/Bundle-${v}-notification-full-resource-with-query.json`,
        ok('event-notification', IG_SUB, [['2', IG_ENC]]),
      ],
      [
        `backport-ig-sushi/Bundle-${v}-notification-full-resource.json`,
        ok('event-notification', IG_SUB, [['2', IG_ENC]]),
      ],
      [`backport-ig-sushi/Bundle-${v}-notification-handshake.json`, ok('handshake', IG_SUB)],
      [`backport-ig-sushi/Bundle-${v}-notification-heartbeat.json`, ok('heartbeat', IG_SUB)],
      [
        `backport-ig-sushi/Bundle-${v}-notification-id-only-with-auth.json`,
        ok('event-notification', IG_SUB, [['2', IG_ENC]]),
      ],
      [
        `backport-ig-sushi/Bundle-${v}-notification-id-only-with-query.json`,
        ok('event-notification', IG_SUB, [['2', IG_ENC]]),
      ],
      [
        `backport-ig-sushi/Bundle-${v}-notification-id-only.json`,
        ok('event-notification', IG_SUB, [['2', IG_ENC]]),
      ],
      [
        `backport-ig-sushi/Bundle-${v}-notification-multi-resource.json`,
        ok('event-notification', IG_SUB, [['2', IG_ENC]]),
      ],
    ]),
  ),
  'candle/r4-Bundle-notification-handshake.json': ok(
    'handshake',
    'https://subscriptions.argo.run/fhir/r4/Subscription/383c610b-8a8b-4173-b363-7b811509aadd',
  ),
  'candle/r4-Bundle-notification-id.json': ok(
    'event-notification',
    'https://subscriptions.argo.run/fhir/r4/Subscription/383c610b-8a8b-4173-b363-7b811509aadd',
    [['1', 'https://subscriptions.argo.run/fhir/r4/Encounter/36e1c9d9-6878-4ef0-b1ff-9f5986e2def6']],
  ),
  'candle/r4b-Bundle-notification-handshake.json': ok(
    'handshake',
    'https://subscriptions.argo.run/fhir/r4b/Subscription/db4ce0bb-fa9c-4092-9f75-34772dc85590',
  ),
  'candle/r5-Bundle-notification-handshake.json': ok(
    'handshake',
    'https://subscriptions.argo.run/fhir/r5/Subscription/e1f461cb-f41c-470e-aa75-d5223b2c943a',
  ),
  // HAPI's R4 builder writes the focus with its type twice; the reference is kept as sent and the
  // claim-check read resolves it (resolveReference), see the HAPI test below.
  'code-derived/hapi-r4-topic-event.json': ok('event-notification', 'Subscription/123', [
    ['3', 'Observation/Observation/5'],
  ]),
  'code-derived/medplum-ws-event-include-resource.json': ok('event-notification', 'Subscription/sub-a', [
    ['0', 'Observation/obs-9'],
  ]),
  'code-derived/medplum-ws-event.json': ok('event-notification', 'Subscription/sub-a', [
    ['0', 'Observation/obs-9'],
  ]),
  'code-derived/medplum-ws-handshake.json': ok('handshake', 'Subscription/sub-a'),
  'code-derived/medplum-ws-heartbeat-3-subscriptions.json': ok('heartbeat', 'Subscription/sub-a'),
  // The R5 specification's examples.
  'r5-spec/notification-empty.json': ok('event-notification', R5_SUB, [['2', null]]),
  'r5-spec/notification-error.json': ok('event-notification', R5_SUB, [['328', null]]),
  'r5-spec/notification-full-resource-with-patient.json': ok('event-notification', R5_SUB, [
    ['2', 'http://example.org/FHIR/R5/Encounter/2'],
  ]),
  'r5-spec/notification-full-resource.json': ok('event-notification', R5_SUB, [
    ['2', 'http://example.org/FHIR/R5/Encounter/2'],
  ]),
  'r5-spec/notification-handshake.json': ok('handshake', R5_SUB),
  'r5-spec/notification-heartbeat.json': ok('heartbeat', R5_SUB),
  // A logical-model focus: kept as sent, never fetchable (resolveReference refuses it).
  'r5-spec/notification-id-only-lm.json': ok(
    'event-notification',
    'http://example.org/FHIR/Subscription/LM-123',
    [['20', 'http://example.org/LogicalModels/Admission/925b19a3-1f1f-49ce-ac59-dae9ae3e5637']],
  ),
  'r5-spec/notification-id-only-query.json': ok('query-event', R5_SUB, [
    ['1', 'http://example.org/FHIR/R5/Encounter/1'],
    ['2', 'http://example.org/FHIR/R5/Encounter/2'],
  ]),
  'r5-spec/notification-id-only-with-patient.json': ok('event-notification', R5_SUB, [
    ['2', 'http://example.org/FHIR/R5/Encounter/2'],
  ]),
  'r5-spec/notification-id-only.json': ok('event-notification', R5_SUB, [
    ['2', 'http://example.org/FHIR/R5/Encounter/2'],
  ]),
  // The message channel: a `message` Bundle whose MessageHeader focuses the notification Bundle.
  'r5-spec/notification-message-id-only.json': ok(
    'event-notification',
    'http://example.org/FHIR/R4/Subscription/123',
    [['310', 'https://example.org/FHIR/R4/Encounter/2']],
  ),
  'r5-spec/notification-query-event.json': ok('query-event', R5_SUB, [
    ['307', 'http://example.org/FHIR/R5/Encounter/307'],
    ['308', 'http://example.org/FHIR/R5/Encounter/308'],
  ]),
  'r5-spec/notification-query-status.json': ok('query-status', R5_SUB),
  'r5-spec/subscription-events-response.json': ok('query-event', R5_SUB, [
    ['307', 'http://example.org/FHIR/R5/Encounter/307'],
    ['308', 'http://example.org/FHIR/R5/Encounter/308'],
  ]),
  'r5-spec/subscription-status-response.json': ok('query-status', R5_SUB),
};

/** Full URLs (and `Type/id`) of the entries that are not the focus of anything: AuditEvents and the like. */
function unrelatedEntries(json: unknown): Set<string> {
  const found = new Set<string>();
  const entries = (json as { entry?: unknown[] }).entry ?? [];
  for (const entry of entries.slice(1)) {
    const e = entry as { fullUrl?: string; resource?: { resourceType?: string; id?: string } };
    if (e.resource?.resourceType === 'AuditEvent' || e.resource?.resourceType === 'Provenance') {
      if (e.fullUrl) found.add(e.fullUrl);
      if (e.resource.id) found.add(`${e.resource.resourceType}/${e.resource.id}`);
    }
  }
  return found;
}

const present = existsSync(ROOT);

describe.skipIf(!present)('independent notification fixtures (read from ../shared at test time)', () => {
  const files = present ? fixtureFiles() : [];

  it('the folder holds the 82 bundles, and every one has an expectation', () => {
    expect(files).toHaveLength(82);
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(files)('%s parses as expected, or fails with a clear error, without throwing', (file) => {
    const json = load(file);
    const expected = EXPECTED[file];
    if (!expected) throw new Error(`no expectation for ${file}`);
    const result = parseNotificationBundle(json);
    if ('error' in expected) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(expected.error);
      return;
    }
    if (!result.ok) throw new Error(`${file}: ${result.error}`);
    expect({
      type: result.notification.type,
      subscription: result.notification.subscription,
      events: events(result.notification),
    }).toEqual(expected);
    const unrelated = unrelatedEntries(json);
    for (const event of result.notification.events) {
      if (event.focus !== null) expect(unrelated.has(event.focus)).toBe(false);
    }
  });
});

describe.skipIf(!present)('conformance faults other implementations exposed', () => {
  it('an identifier-only focus is never replaced by an AuditEvent entry of the same bundle', () => {
    const n = parsed('athenahealth/2024-11-12-686321a-send-order-notification.json');
    expect(events(n)).toEqual([['1', null]]);
  });

  it('a heartbeat for several subscriptions on one socket reports every one of them', () => {
    const n = parsed('code-derived/medplum-ws-heartbeat-3-subscriptions.json');
    expect(n.statuses.map((s) => [s.subscription, s.type])).toEqual([
      ['Subscription/sub-a', 'heartbeat'],
      ['Subscription/sub-b', 'heartbeat'],
      ['Subscription/sub-c', 'heartbeat'],
    ]);
  });

  it('0.1.0-era Parameters (subscription-url, subscription-event-count, bundle-event-count) are read', () => {
    const n = parsed(
      'argonaut-backport-ig/2020-05-29-a09120e-Bundle-3945182f-d315-4dbf-9259-09d863c7e7da.json',
    );
    expect(n).toMatchObject({
      type: 'event-notification',
      subscription: ARGO_SUB,
      topic: 'http://hl7.org/SubscriptionTopic/admission',
      eventsSinceSubscriptionStart: '310',
    });
    expect(events(n)).toEqual([['310', ARGO_ENC]]);
  });

  it('a SubscriptionStatus with eventsInNotification and no notificationEvent reads like the Parameters form', () => {
    const n = parsed('argonaut-backport-ig/2021-08-02-a9652d9-Bundle-notification-multi-resource.json');
    // The Encounter is the focus; the Patient after it is context, not a second event.
    expect(events(n)).toEqual([['310', ARGO_ENC]]);
  });

  it("HAPI's focus with its type written twice is fetched as the resource it names", () => {
    const n = parsed('code-derived/hapi-r4-topic-event.json');
    const focus = n.events[0]?.focus ?? '';
    expect(resolveReference(focus, 'http://localhost:8000/fhir')).toEqual({
      relative: 'Observation/5',
      version: null,
      sameOrigin: true,
    });
    expect(Object.keys(n.resources)).toEqual(['http://localhost:8000/fhir/Observation/5']);
  });
});
