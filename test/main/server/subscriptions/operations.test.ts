import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.ts';
import {
  BACKPORT,
  createSubscription,
  fhir,
  sseSubscription,
  startTestServer,
  statusOf,
} from '../helpers.ts';

describe('Subscription create validation and operations', () => {
  let t: TestServer;
  let token: string;
  beforeAll(async () => {
    t = await startTestServer();
    token = t.token('nurse-a');
  });
  afterAll(() => t.close());

  it('answers create with active, the $sse endpoint and the backport profile', async () => {
    const res = await fhir('POST', `${t.server.fhirBase}/Subscription`, token, sseSubscription());
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('active');
    expect((res.body.channel as { endpoint: string }).endpoint).toBe(
      `${t.server.fhirBase}/Subscription/${String(res.body.id)}/$sse`,
    );
    expect((res.body.meta as { profile: string[] }).profile).toContain(`${BACKPORT}/backport-subscription`);
  });

  it('rejects unsupported topic, filter, channel and payload with 400 OperationOutcomes', async () => {
    const base = sseSubscription();
    const bad: Record<string, unknown>[] = [
      { ...base, criteria: 'http://example.org/SubscriptionTopic/nope' },
      sseSubscription({ filter: 'Observation?colour=red' }),
      sseSubscription({ filter: 'Observation?priority=stat' }),
      sseSubscription({ payload: 'everything' }),
      { ...base, channel: { type: 'email', payload: 'application/fhir+json' } },
      {
        ...base,
        channel: { ...(base.channel as object), payload: 'application/fhir+json; fhirVersion=4.3' },
      },
      { ...base, status: undefined },
    ];
    for (const body of bad) {
      const res = await fhir('POST', `${t.server.fhirBase}/Subscription`, token, body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('keeps subscriptions private to their owner', async () => {
    const sub = await createSubscription(t, token);
    const other = t.token('nurse-b');
    expect((await fhir('GET', `${t.server.fhirBase}/Subscription/${sub.id}`, other)).status).toBe(404);
    const search = await fhir('GET', `${t.server.fhirBase}/Subscription`, other);
    expect(search.body.total).toBe(0);
    expect((await fhir('GET', `${t.server.fhirBase}/Subscription/${sub.id}/$status`, other)).status).toBe(
      404,
    );
  });

  it('serves $status (type and instance) and $events from the event log', async () => {
    const sub = await createSubscription(t, token);
    for (let i = 0; i < 4; i += 1) t.server.simulator?.emitCriticalPotassium();
    const instance = await fhir('GET', `${t.server.fhirBase}/Subscription/${sub.id}/$status`, token);
    expect(instance.body.type).toBe('searchset');
    const status = statusOf({ entry: [(instance.body.entry as unknown[])[0]] });
    expect(status.get('type')).toBe('query-status');
    expect(status.get('events-since-subscription-start')).toBe('4');
    const all = await fhir('GET', `${t.server.fhirBase}/Subscription/$status?status=active`, token);
    expect(Number(all.body.total)).toBeGreaterThanOrEqual(1);

    const events = await fhir(
      'GET',
      `${t.server.fhirBase}/Subscription/${sub.id}/$events?eventsSinceNumber=2&eventsUntilNumber=3`,
      token,
    );
    const params =
      (
        events.body.entry as {
          resource: { parameter: { name: string; part?: { name: string; valueString?: string }[] }[] };
        }[]
      )[0]?.resource.parameter ?? [];
    expect(params.find((p) => p.name === 'type')).toMatchObject({ valueCode: 'query-event' });
    const numbers = params
      .filter((p) => p.name === 'notification-event')
      .map((p) => p.part?.find((x) => x.name === 'event-number')?.valueString);
    expect(numbers).toEqual(['2', '3']);
    const bad = await fhir(
      'GET',
      `${t.server.fhirBase}/Subscription/${sub.id}/$events?eventsSinceNumber=x`,
      token,
    );
    expect(bad.status).toBe(400);
  });

  it('honours end: a subscription past its end does not stream', async () => {
    const body = { ...sseSubscription(), end: new Date(Date.now() - 1000).toISOString() };
    const res = await fhir('POST', `${t.server.fhirBase}/Subscription`, token, body);
    const stream = await fetch(`${t.server.fhirBase}/Subscription/${String(res.body.id)}/$sse`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stream.status).toBe(409);
    await stream.body?.cancel();
  });
});
