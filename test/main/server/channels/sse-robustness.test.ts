// SSE channel behaviours under adverse conditions: a cursor older than retention gets an explicit `gap`
// frame, bad Last-Event-ID values get 400 OperationOutcomes, and a consumer that stops reading is
// dropped (and logged) once its unread bytes pass maxBufferedBytes while other streams keep flowing.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../helpers.ts';
import { createSubscription, events, fhir, memoryLogger, openSse, startTestServer } from '../helpers.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { until } from '../../../support/until.ts';

let t: TestServer | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.close();
  t = null;
});

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

// Retention is a matter of the wall clock, so these tests move the clock instead of waiting on it: the
// process's Date (which the store stamps events with and the maintenance pass prunes by) is put a
// couple of days ahead, and the maintenance pass's own record of what it pruned is awaited. Nothing
// then ages out while a stream is being read, however slow the machine is. Timers stay real.
const DAY = 86_400_000;
/** Tokens that outlive every move of the clock in these tests. */
const LONG_TTL_SECONDS = 30 * 86_400;

function useMovableClock(): { advance(ms: number): void } {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  return { advance: (ms) => vi.setSystemTime(Date.now() + ms) };
}

/** Events the maintenance pass has pruned so far, by its own log records. */
const prunedCount = (records: Record<string, unknown>[]): number =>
  records.filter((r) => r.msg === 'event log retention').reduce((sum, r) => sum + Number(r.removed), 0);

describe('SSE retention and gap', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prunes events older than retention and signals a gap for an older cursor, then replays the rest', async () => {
    const clock = useMovableClock();
    const { logger, records } = memoryLogger();
    t = await startTestServer({ retentionDays: 1, maintenanceMs: 50, logger });
    const token = t.token('nurse-a', ['user/*.cruds'], LONG_TTL_SECONDS);
    const sub = await createSubscription(t, token);
    for (let i = 0; i < 3; i += 1) t.server.simulator?.emitCriticalPotassium();
    clock.advance(2 * DAY);
    await until(() => prunedCount(records) === 3, 'events 1–3 to be pruned');
    for (let i = 0; i < 2; i += 1) t.server.simulator?.emitCriticalPotassium();

    const fromStart = await fhir(
      'GET',
      `${t.server.fhirBase}/Subscription/${sub.id}/$events?eventsSinceNumber=1`,
      token,
    );
    expect(fromStart.status).toBe(200);

    const old = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '1' });
    expect(old.status).toBe(200);
    await old.waitFor((f) => events(f).length === 2);
    const names = old.frames.map((f) => f.event);
    const gapAt = names.indexOf('gap');
    expect(gapAt).toBeGreaterThan(names.indexOf('handshake'));
    expect(gapAt).toBeLessThan(names.indexOf('event-notification'));
    const gap = old.frames[gapAt];
    expect(gap?.id).toBeNull();
    expect(JSON.parse(gap?.data ?? '{}')).toEqual({
      requestedAfter: '1',
      firstAvailable: '4',
      reason: 'retention',
    });
    expect(events(old.frames).map((f) => f.id)).toEqual(['4', '5']);
    old.close();

    // A cursor at the edge of the retained log is not a gap.
    const edge = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '3' });
    await edge.waitFor((f) => events(f).length === 2);
    expect(edge.frames.some((f) => f.event === 'gap')).toBe(false);
    edge.close();

    // Once everything has aged out, a cursor behind the count still gets a gap naming the next number.
    clock.advance(2 * DAY);
    await until(() => prunedCount(records) === 5, 'events 4–5 to be pruned');
    const empty = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '2' });
    await empty.waitFor((f) => f.some((x) => x.event === 'gap'));
    expect(JSON.parse(empty.frames.find((f) => f.event === 'gap')?.data ?? '{}')).toMatchObject({
      requestedAfter: '2',
      firstAvailable: '6',
    });
    // Numbering continues after pruning: the next event is 6, delivered live.
    t.server.simulator?.emitCriticalPotassium();
    await empty.waitFor((f) => events(f).length === 1);
    expect(events(empty.frames)[0]?.id).toBe('6');
    empty.close();
  });

  it('sends no gap when the cursor is current, and none with no cursor', async () => {
    const clock = useMovableClock();
    const { logger, records } = memoryLogger();
    t = await startTestServer({ retentionDays: 1, maintenanceMs: 50, logger });
    const token = t.token('nurse-a', ['user/*.cruds'], LONG_TTL_SECONDS);
    const sub = await createSubscription(t, token);
    t.server.simulator?.emitCriticalPotassium();
    let count = 1;
    // Each stream opens when every event so far has aged out of the log, its cursor (if any) at the count.
    for (const withCursor of [false, true]) {
      clock.advance(2 * DAY);
      await until(() => prunedCount(records) === count, `events 1–${count} to be pruned`);
      const headers = withCursor ? { ...bearer(token), 'last-event-id': String(count) } : bearer(token);
      const conn = await openSse(sub.endpoint, headers);
      await conn.waitFor((f) => f.some((x) => x.event === 'handshake'));
      t.server.simulator?.emitCriticalPotassium();
      count += 1;
      await conn.waitFor((f) => events(f).length === 1);
      expect(events(conn.frames)[0]?.id).toBe(String(count));
      expect(conn.frames.some((f) => f.event === 'gap')).toBe(false);
      conn.close();
    }
  });
});

describe('SSE Last-Event-ID validation', () => {
  it('answers 400 OperationOutcomes for non-numeric, non-decimal and future cursors and keeps serving', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    for (let i = 0; i < 3; i += 1) t.server.simulator?.emitCriticalPotassium();
    const bad = ['x', '1.5', '1e2', '0x2', '+1', '-0', '4', '99999999999999999999', ''];
    for (const value of bad) {
      const conn = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': value });
      expect(conn.status, value).toBe(400);
      const body = JSON.parse(conn.body) as { resourceType: string; issue: { diagnostics: string }[] };
      expect(body.resourceType).toBe('OperationOutcome');
      expect(body.issue[0]?.diagnostics).toMatch(/Last-Event-ID/);
    }
    const viaQuery = await openSse(`${sub.endpoint}?last-event-id=abc`, bearer(token));
    expect(viaQuery.status).toBe(400);
    // Boundary values are accepted: 0 replays everything, the current count replays nothing.
    const zero = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '0' });
    await zero.waitFor((f) => events(f).length === 3);
    zero.close();
    const current = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': ' 3 ' });
    expect(current.status).toBe(200);
    await current.waitFor((f) => f.some((x) => x.event === 'handshake'));
    t.server.simulator?.emitCriticalPotassium();
    await current.waitFor((f) => events(f).length === 1);
    expect(events(current.frames)[0]?.id).toBe('4');
    current.close();
  });
});

/**
 * A raw SSE request that reads up to the handshake and then provably stops reading (a paused socket):
 * everything the server writes afterwards piles up, first in the kernel's socket buffers, then in the
 * server's own write queue, where the slow-consumer rule measures it. `ids` collects the event ids the
 * socket delivers once resumed (frames are parsed line by line out of the chunked body).
 */
async function stalledStream(
  url: string,
  token: string,
): Promise<{ socket: Socket; isClosed: () => boolean; ids: number[] }> {
  const target = new URL(url);
  const socket = connect({ host: target.hostname, port: Number(target.port) });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const ids: number[] = [];
  let partialLine = '';
  let head = '';
  let stopped = false;
  const gotHead = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      const text = partialLine + chunk.toString('latin1');
      const lines = text.split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) {
        const id = /^id: (\d+)$/.exec(line);
        if (id) ids.push(Number(id[1]));
      }
      if (head.length < 4096) head += chunk.toString('latin1');
      if (!stopped && head.includes('event: handshake')) {
        stopped = true;
        socket.pause(); // stop reading: the kernel buffers fill, then the server's userland queue grows
        resolve();
      }
    });
  });
  let closed = false;
  socket.once('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.write(
    `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n` +
      `Authorization: Bearer ${token}\r\n\r\n`,
  );
  await gotHead;
  expect(head).toMatch(/^HTTP\/1\.1 200/);
  return { socket, isClosed: () => closed, ids };
}

/** Poll a condition with a generous deadline (a loaded machine is slow, not wrong). */
// Frames far larger than the simulator's few KiB, so that a few dozen events fill whatever the kernel
// buffers for a stalled socket (megabytes on Linux loopback) and the server's queue crosses the cap
// quickly however slow the machine is. One frame stays under the cap, so a reader that keeps up one
// frame behind never crosses it, and one frame added at the cap stays far below the 4 × hard cap: the
// grace period, not the hard cap, is what these tests exercise.
const CAP = 256 * 1024;
const NOTE_BYTES = 160 * 1024;

/**
 * A writer of critical potassium results carrying a large note, through the FHIR API like any client:
 * each is one event whose full-resource frame is over NOTE_BYTES. The template is a simulator result
 * read back before the subscription exists (so it is not an event of the subscription).
 */
async function largeCriticalWriter(t: TestServer, token: string): Promise<() => Promise<void>> {
  const seed = t.server.simulator?.emitCriticalPotassium();
  const read = await fhir('GET', `${t.server.fhirBase}/Observation/${seed?.id ?? ''}`, token);
  expect(read.status).toBe(200);
  const { id: _id, meta, ...rest } = read.body;
  const security = (meta as { security?: unknown } | undefined)?.security;
  const body = { ...rest, meta: { security }, note: [{ text: 'x'.repeat(NOTE_BYTES) }] };
  return async () => {
    const created = await fhir('POST', `${t.server.fhirBase}/Observation`, token, body);
    expect(created.status).toBe(201);
  };
}

const GRACE_STARTED = 'sse consumer over the buffer cap: grace period started';
const GRACE_ENDED = 'sse consumer drained its backlog: grace period ended';
const DROPPED = 'sse slow consumer dropped';
/** A stalled reader needs at most this many large frames to cross the cap (kernel buffers ≤ 16 MiB). */
const MAX_FILL_EVENTS = Math.ceil((16 * 1024 * 1024 + CAP) / NOTE_BYTES) + 1;

describe('SSE slow consumers', () => {
  it('does not drop a reader that falls behind a burst but catches up within the grace period', async () => {
    const { logger, records } = memoryLogger();
    // A grace period longer than this test may run: the reader's catching up, which the server reports
    // itself, is what ends it; no timing decides the outcome.
    t = await startTestServer({ maxBufferedBytes: CAP, slowConsumerGraceMs: 120_000, logger });
    const token = t.token('nurse-a');
    const writeLarge = await largeCriticalWriter(t, t.feed());
    const sub = await createSubscription(t, token, { payload: 'full-resource' });
    const behind = await stalledStream(sub.endpoint, token);
    const logged = (msg: string): Record<string, unknown>[] => records.filter((r) => r.msg === msg);
    // Write until the server's queue for the stalled reader crosses the cap (it says so itself).
    let written = 0;
    while (logged(GRACE_STARTED).length === 0) {
      expect(written, 'events written without the stalled reader crossing the cap').toBeLessThan(
        MAX_FILL_EVENTS,
      );
      await writeLarge();
      written += 1;
    }
    expect(logged(GRACE_STARTED)).toHaveLength(1);
    expect(Number(logged(GRACE_STARTED)[0]?.buffered)).toBeGreaterThan(CAP);
    // The reader catches up: the server reports the backlog drained (its grace period ended without a
    // drop), and the reader has every event up to the last one written, in order.
    behind.socket.resume();
    await until(() => logged(GRACE_ENDED).length === 1, 'the server to see the backlog drained');
    await until(() => behind.ids.length >= written, `all ${written} events at the reader`);
    expect(behind.ids).toEqual(Array.from({ length: written }, (_, i) => i + 1));
    // It stays connected: the next event reaches it live, and nothing was dropped.
    t.server.simulator?.emitCriticalPotassium();
    await until(() => behind.ids.length === written + 1, 'the next live event at the reader');
    expect(behind.ids[written]).toBe(written + 1);
    expect(logged(DROPPED)).toEqual([]);
    expect(behind.socket.destroyed).toBe(false);
  }, 120_000);

  it('drops a consumer whose unread bytes exceed maxBufferedBytes, logs it, and keeps serving others', async () => {
    const { logger, records } = memoryLogger();
    t = await startTestServer({ maxBufferedBytes: CAP, slowConsumerGraceMs: 300, logger });
    // Two grants of the same nurse, so the server's records say which connection they are about.
    const auth = t.server.auth;
    const issue = (): { accessToken: string; grantId: string } =>
      auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: ['user/*.cruds'] });
    const healthyGrant = issue();
    const slowGrant = issue();
    const token = healthyGrant.accessToken;
    const writeLarge = await largeCriticalWriter(t, t.feed());
    const sub = await createSubscription(t, token, { payload: 'full-resource' });
    const healthy = await openSse(sub.endpoint, bearer(token));
    await healthy.waitFor((f) => f.some((x) => x.event === 'handshake'), 30_000);
    const slow = await stalledStream(sub.endpoint, slowGrant.accessToken);
    const logged = (msg: string): Record<string, unknown>[] => records.filter((r) => r.msg === msg);
    // Write one event at a time and let the healthy reader take each before the next: it is never more
    // than one frame (under the cap) behind, while the stalled reader's backlog grows until it crosses.
    let written = 0;
    while (logged(GRACE_STARTED).length === 0) {
      expect(written, 'events written without the stalled reader crossing the cap').toBeLessThan(
        MAX_FILL_EVENTS,
      );
      await writeLarge();
      written += 1;
      await healthy.waitFor((f) => events(f).length === written, 30_000);
    }
    expect(logged(GRACE_STARTED).map((r) => r.grantId)).toEqual([slowGrant.grantId]);
    // The stalled reader cannot drain, so the grace period ends in a drop (the server's own record).
    await until(() => logged(DROPPED).length > 0, 'the stalled reader to be dropped');
    const drops = logged(DROPPED);
    expect(drops).toHaveLength(1);
    expect(drops[0]?.grantId).toBe(slowGrant.grantId);
    expect(Number(drops[0]?.buffered)).toBeGreaterThan(CAP);
    expect(logged(GRACE_ENDED)).toEqual([]);
    // The server ended the stalled connection: once the client reads again it reaches EOF.
    slow.socket.resume();
    await until(slow.isClosed, 'the end of the dropped connection');
    expect(slow.socket.destroyed).toBe(true);
    // The healthy stream received every event, in order, and is still open.
    expect(events(healthy.frames).map((f) => Number(f.id))).toEqual(
      Array.from({ length: written }, (_, i) => i + 1),
    );
    expect(healthy.closed).toBe(false);
    t.server.simulator?.emitCriticalPotassium();
    await healthy.waitFor((f) => events(f).length === written + 1, 30_000);
    healthy.close();
    // The dropped client reconnects with its cursor and catches up (replay waits for drain, no drop).
    const again = await openSse(sub.endpoint, { ...bearer(slowGrant.accessToken), 'last-event-id': '0' });
    await again.waitFor((f) => events(f).length === written + 1, 60_000);
    expect(events(again.frames).map((f) => Number(f.id))).toEqual(
      Array.from({ length: written + 1 }, (_, i) => i + 1),
    );
    again.close();
    expect(logged(DROPPED)).toHaveLength(1);
    const status = await fhir('GET', `${t.server.fhirBase}/Subscription/${sub.id}/$status`, token);
    expect(status.status).toBe(200);
  }, 120_000);
});
