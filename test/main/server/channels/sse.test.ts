import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SseConnection, TestServer } from '../helpers.ts';
import {
  createSubscription,
  eventCount,
  events,
  fhir,
  focusOf,
  memoryLogger,
  openSse,
  startTestServer,
  statusOf,
} from '../helpers.ts';

let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('SSE channel', () => {
  it('sends retry, a handshake, then id-only event notifications with id: only on events', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { filter: 'Observation?location=Location/ward-a' });
    expect(sub.endpoint).toBe(`${t.server.fhirBase}/Subscription/${sub.id}/$sse`);
    const conn = await openSse(sub.endpoint, bearer(token));
    expect(conn.status).toBe(200);
    expect(conn.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(conn.headers.get('cache-control')).toBe('no-store');
    await conn.waitFor((f) => f.some((x) => x.event === 'handshake'));
    expect(conn.frames[0]?.event).toBe('retry');
    const obs = t.server.simulator?.emitCriticalPotassium('ward-a');
    await conn.waitFor((f) => events(f).length === 1);
    const frame = events(conn.frames)[0];
    expect(frame?.id).toBe('1');
    const bundle = JSON.parse(frame?.data ?? '{}') as Record<string, unknown>;
    expect(bundle.type).toBe('history');
    const status = statusOf(bundle);
    expect(status.get('type')).toBe('event-notification');
    expect(status.get('events-since-subscription-start')).toBe('1');
    expect(focusOf(bundle)).toBe(`${t.server.fhirBase}/Observation/${obs?.id}`);
    expect((bundle.entry as unknown[]).length).toBe(1);
    expect(conn.frames.filter((f) => f.event !== 'event-notification').every((f) => f.id === null)).toBe(
      true,
    );
    conn.close();
  });

  it('delivers the demo critical potassium with full-resource payload as specified', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { payload: 'full-resource' });
    const conn = await openSse(sub.endpoint, bearer(token));
    t.server.simulator?.emitCriticalPotassium();
    await conn.waitFor((f) => events(f).length === 1);
    const bundle = JSON.parse(events(conn.frames)[0]?.data ?? '{}') as {
      entry: { resource: Record<string, unknown> }[];
    };
    const obs = bundle.entry[1]?.resource as {
      code: { coding: { system: string; code: string; display: string }[] };
      valueQuantity: { value: number; unit: string; system: string; code: string };
      interpretation: { coding: { system: string; code: string }[] }[];
      category: { coding: { code: string }[] }[];
      meta: { security: { code: string }[] };
      subject: { reference: string };
    };
    expect(obs.code.coding[0]).toEqual({
      system: 'http://loinc.org',
      code: '2823-3',
      display: 'Potassium [Moles/volume] in Serum or Plasma',
    });
    expect(obs.valueQuantity).toEqual({
      value: 6.8,
      unit: 'mmol/L',
      system: 'http://unitsofmeasure.org',
      code: 'mmol/L',
    });
    expect(obs.interpretation[0]?.coding[0]).toMatchObject({
      system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
      code: 'HH',
    });
    expect(obs.category[0]?.coding[0]?.code).toBe('laboratory');
    expect(obs.meta.security[0]?.code).toBe('ward-a');
    const patient = await fhir('GET', `${t.server.fhirBase}/${obs.subject.reference}`, token);
    expect((patient.body.name as { family: string }[])[0]?.family).toBeTruthy();
    conn.close();
  });

  it('replays after Last-Event-ID from the log, then continues live, without gap or duplicate', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    for (let i = 0; i < 5; i += 1) t.server.simulator?.emitCriticalPotassium();
    const conn = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '2' });
    await conn.waitFor((f) => events(f).length === 3);
    for (let i = 0; i < 2; i += 1) t.server.simulator?.emitCriticalPotassium();
    await conn.waitFor((f) => events(f).length === 5);
    expect(events(conn.frames).map((f) => f.id)).toEqual(['3', '4', '5', '6', '7']);
    const handshake = conn.frames.find((f) => f.event === 'handshake');
    expect(statusOf(JSON.parse(handshake?.data ?? '{}')).get('events-since-subscription-start')).toBe('5');
    conn.close();
    const viaQuery = await openSse(`${sub.endpoint}?last-event-id=6`, bearer(token));
    await viaQuery.waitFor((f) => events(f).length === 1);
    expect(events(viaQuery.frames)[0]?.id).toBe('7');
    viaQuery.close();
  });

  it('has no gap or duplicate at the replay/live seam under concurrent writes', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    for (let i = 0; i < 300; i += 1) t.server.simulator?.emitCriticalPotassium();
    const writer = setInterval(() => t?.server.simulator?.emitCriticalPotassium(), 1);
    const conn = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '0' });
    // Writes keep coming until the stream is past its snapshot S (the handshake's count): events <= S
    // came from the replay, later ones live, so the writes spanned the seam however slow the machine.
    await conn.waitFor((f) => f.some((x) => x.event === 'handshake'), 30_000);
    const handshake = conn.frames.find((f) => f.event === 'handshake');
    const snapshot = Number(
      statusOf(JSON.parse(handshake?.data ?? '{}')).get('events-since-subscription-start'),
    );
    expect(snapshot).toBeGreaterThanOrEqual(300);
    await conn.waitFor((f) => events(f).length >= snapshot + 5, 30_000);
    clearInterval(writer);
    const total = await eventCount(t, token, sub.id);
    expect(total).toBeGreaterThan(snapshot);
    await conn.waitFor((f) => events(f).length >= total, 30_000);
    const ids = events(conn.frames).map((f) => Number(f.id));
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    conn.close();
  });

  it('rejects bad cursors, unknown and foreign subscriptions, missing tokens and scopes', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    t.server.simulator?.emitCriticalPotassium();
    const cases: [Record<string, string>, string, number][] = [
      [{ ...bearer(token), 'last-event-id': 'abc' }, sub.endpoint, 400],
      [{ ...bearer(token), 'last-event-id': '-1' }, sub.endpoint, 400],
      [{ ...bearer(token), 'last-event-id': '2' }, sub.endpoint, 400],
      [bearer(token), `${t.server.fhirBase}/Subscription/nope/$sse`, 404],
      [bearer(t.token('nurse-b')), sub.endpoint, 404],
      [{}, sub.endpoint, 401],
      [bearer('at_bogus'), sub.endpoint, 401],
      [bearer(t.token('nurse-a', ['user/Observation.rs'])), sub.endpoint, 403],
    ];
    for (const [headers, url, status] of cases) {
      const conn = await openSse(url, headers);
      expect(conn.status, `${JSON.stringify(headers)} ${url}`).toBe(status);
      expect((JSON.parse(conn.body) as { resourceType: string }).resourceType).toBe('OperationOutcome');
      if (status === 401) expect(conn.headers.get('www-authenticate')).toContain('invalid_token');
    }
  });

  it('answers 409 for a subscription that is off, and streams again after re-activation', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    const current = await fhir('GET', `${t.server.fhirBase}/Subscription/${sub.id}`, token);
    const off = await fhir('PUT', `${t.server.fhirBase}/Subscription/${sub.id}`, token, {
      ...current.body,
      status: 'off',
    });
    expect(off.body.status).toBe('off');
    expect((await openSse(sub.endpoint, bearer(token))).status).toBe(409);
    const again = await fhir('PUT', `${t.server.fhirBase}/Subscription/${sub.id}`, token, {
      ...off.body,
      status: 'requested',
    });
    expect(again.body.status).toBe('active');
    const conn = await openSse(sub.endpoint, bearer(token));
    expect(conn.status).toBe(200);
    conn.close();
  });

  it('sends revoked and closes at once on revocation (the contract allows 1 s); reconnecting gets 401', async () => {
    const { logger, records } = memoryLogger();
    t = await startTestServer({ logger });
    const issued = t.server.auth.issueToken({
      userId: 'nurse-a',
      clientId: 'alert-monitor-desktop',
      scopes: ['user/*.cruds'],
    });
    const sub = await createSubscription(t, issued.accessToken);
    const conn = await openSse(sub.endpoint, bearer(issued.accessToken));
    await conn.waitFor((f) => f.some((x) => x.event === 'handshake'));
    t.server.auth.revokeGrant(issued.grantId);
    // The server ended the stream inside revokeGrant itself (its own records say so), so no delay of
    // the machine can stretch it past the contract's second; the client then sees the frame and EOF.
    expect(records.filter((r) => r.msg === 'sse stream closed').map((r) => r.reason)).toEqual(['revoked']);
    expect(records.find((r) => r.msg === 'streams closed on revocation')).toMatchObject({ closed: 1 });
    await conn.waitFor((f) => f.some((x) => x.event === 'revoked'), 30_000);
    await conn.waitFor(() => conn.closed, 30_000);
    expect(conn.closed).toBe(true);
    const again = await openSse(sub.endpoint, bearer(issued.accessToken));
    expect(again.status).toBe(401);
  });

  it('sends heartbeats, keepalive comments, token-expiring and token-expired', async () => {
    t = await startTestServer({ tokenExpiringSeconds: 1, keepaliveMs: 200 });
    const sub = await createSubscription(t, t.token('nurse-a'), { heartbeat: 1 });
    // The stream's token has 2 s to live from the moment the stream opens, however long opening takes
    // on a loaded machine: the wall clock (Date) is held still from issuing the token until the
    // handshake, so the server schedules heartbeat (1 s), token-expiring (1 s) and token-expired (2 s)
    // on the same real timers, whose order alone decides what the client sees.
    vi.useFakeTimers({ toFake: ['Date'] });
    let conn: SseConnection;
    try {
      const token = t.token('nurse-a', ['user/*.cruds'], 2);
      conn = await openSse(sub.endpoint, bearer(token));
      await conn.waitFor((f) => f.some((x) => x.event === 'handshake'));
    } finally {
      vi.useRealTimers();
    }
    await conn.waitFor((f) => f.some((x) => x.event === 'token-expired'), 30_000);
    const names = conn.frames.map((f) => f.event);
    expect(names).toContain('heartbeat');
    expect(names).toContain(':');
    expect(names.filter((n) => n === 'token-expiring')).toHaveLength(1);
    expect(names.indexOf('token-expiring')).toBeLessThan(names.indexOf('token-expired'));
    const expiring = JSON.parse(conn.frames.find((f) => f.event === 'token-expiring')?.data ?? '{}') as {
      expiresAt: string;
      secondsRemaining: number;
    };
    expect(Number.isNaN(Date.parse(expiring.expiresAt))).toBe(false);
    expect(expiring.secondsRemaining).toBeLessThanOrEqual(1);
    const heartbeat = JSON.parse(conn.frames.find((f) => f.event === 'heartbeat')?.data ?? '{}') as unknown;
    expect(statusOf(heartbeat).get('type')).toBe('heartbeat');
    await conn.waitFor(() => conn.closed, 30_000);
    expect(conn.closed).toBe(true);
  });

  it('opens with a single-use binding token instead of a bearer header', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    const res = await fhir(
      'POST',
      `${t.server.fhirBase}/Subscription/${sub.id}/$get-ws-binding-token`,
      token,
    );
    const param = (name: string): string | undefined =>
      (res.body.parameter as { name: string; valueString?: string; valueDateTime?: string }[]).find(
        (p) => p.name === name,
      )?.valueString;
    const binding = param('token');
    expect(binding).toMatch(/^bt_/);
    const url = `${sub.endpoint}?binding-token=${binding}`;
    const conn = await openSse(url, {});
    expect(conn.status).toBe(200);
    conn.close();
    const reuse = await openSse(url, {});
    expect(reuse.status).toBe(401);
  });

  it('is consumed by the eventsource npm client, which resumes with Last-Event-ID across a server restart', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    const received: string[] = [];
    const handshakes: number[] = [];
    const fetchWithAuth: typeof fetch = (input, init) =>
      fetch(input, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` },
      });
    const es = new EventSource(sub.endpoint, { fetch: fetchWithAuth });
    es.addEventListener('event-notification', (event) => received.push(event.lastEventId));
    es.addEventListener('handshake', () => handshakes.push(Date.now()));
    const until = async (check: () => boolean): Promise<void> => {
      const end = Date.now() + 10_000;
      while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await until(() => handshakes.length === 1);
    t.server.simulator?.emitCriticalPotassium();
    t.server.simulator?.emitCriticalPotassium();
    await until(() => received.length === 2);
    // Restart the server on the same port and database; events 3 and 4 happen while the client is away.
    const port = Number(new URL(t.server.origin).port);
    await t.server.close();
    const { startServer } = await import('../../../../src-main/server/server.ts');
    const restarted = await startServer({ port, dbPath: t.dbPath, simulate: { seed: 42 } });
    t.server = restarted;
    restarted.simulator?.emitCriticalPotassium();
    restarted.simulator?.emitCriticalPotassium();
    await until(() => received.length === 4);
    restarted.simulator?.emitCriticalPotassium();
    await until(() => received.length === 5);
    es.close();
    expect(handshakes.length).toBe(2);
    expect(received).toEqual(['1', '2', '3', '4', '5']);
  });
});
