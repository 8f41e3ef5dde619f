// SSE channel behaviours under adverse conditions: a cursor older than retention gets an explicit `gap`
// frame, bad Last-Event-ID values get 400 OperationOutcomes, and a consumer that stops reading is
// dropped (and logged) once its unread bytes pass maxBufferedBytes while other streams keep flowing.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.ts';
import { createSubscription, events, fhir, openSse, startTestServer } from '../helpers.ts';

let t: TestServer | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.close();
  t = null;
});

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A pino logger whose records are kept in memory, to assert on what the server logged. */
function memoryLogger(): { logger: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), records };
}

describe('SSE retention and gap', () => {
  it('prunes events older than retention and signals a gap for an older cursor, then replays the rest', async () => {
    // Retention of 0.6 s with a 100 ms maintenance pass stands in for 7 days / 5 s.
    t = await startTestServer({ retentionDays: 0.6 / 86_400, maintenanceMs: 100 });
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    for (let i = 0; i < 3; i += 1) t.server.simulator?.emitCriticalPotassium();
    await sleep(1000); // events 1–3 are now older than retention and the maintenance pass has run
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
    await sleep(1000);
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
    t = await startTestServer({ retentionDays: 0.3 / 86_400, maintenanceMs: 100 });
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token);
    t.server.simulator?.emitCriticalPotassium();
    await sleep(600);
    for (const headers of [bearer(token), { ...bearer(token), 'last-event-id': '1' }]) {
      const conn = await openSse(sub.endpoint, headers);
      await conn.waitFor((f) => f.some((x) => x.event === 'handshake'));
      t.server.simulator?.emitCriticalPotassium();
      await conn.waitFor((f) => events(f).length === 1);
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

/** A raw SSE request whose socket never reads: the server's writes pile up in its own buffer. */
async function stalledStream(url: string, token: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const target = new URL(url);
  const socket = connect({ host: target.hostname, port: Number(target.port) });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let head = '';
  const gotHead = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (head.includes('event: handshake')) {
        socket.off('data', onData);
        socket.pause(); // stop reading: the kernel buffers fill, then the server's userland queue grows
        resolve();
      }
    };
    socket.on('data', onData);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(
    `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n` +
      `Authorization: Bearer ${token}\r\n\r\n`,
  );
  await gotHead;
  expect(head).toMatch(/^HTTP\/1\.1 200/);
  return { socket, closed };
}

describe('SSE slow consumers', () => {
  it('does not drop a reader that falls behind a burst but catches up within the grace period', async () => {
    const { logger, records } = memoryLogger();
    t = await startTestServer({ maxBufferedBytes: 64 * 1024, slowConsumerGraceMs: 1500, logger });
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { payload: 'full-resource' });
    const behind = await stalledStream(sub.endpoint, token);
    const overCap = (): boolean =>
      records.some((r) => r.msg === 'sse consumer over the buffer cap: grace period started');
    // Fill the kernel buffers and then the server's queue past the cap (bounded in count and time).
    // Bounded generously: each write is an fsync, and loopback socket buffers hold megabytes.
    const deadline = Date.now() + 45_000;
    let written = 0;
    while (!overCap() && Date.now() < deadline && written < 20_000) {
      for (let i = 0; i < 5; i += 1) t.server.simulator?.emitCriticalPotassium();
      written += 5;
      await sleep(2);
    }
    expect(overCap()).toBe(true);
    // The reader catches up well within the grace period, and keeps reading.
    let received = 0;
    behind.socket.on('data', (chunk: Buffer) => (received += chunk.length));
    behind.socket.resume();
    await sleep(2500);
    expect(records.filter((r) => r.msg === 'sse slow consumer dropped')).toEqual([]);
    expect(behind.socket.destroyed).toBe(false);
    expect(received).toBeGreaterThan(64 * 1024);
  }, 60_000);

  it('drops a consumer whose unread bytes exceed maxBufferedBytes, logs it, and keeps serving others', async () => {
    const { logger, records } = memoryLogger();
    t = await startTestServer({ maxBufferedBytes: 64 * 1024, slowConsumerGraceMs: 300, logger });
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { payload: 'full-resource' });
    const healthy = await openSse(sub.endpoint, bearer(token));
    await healthy.waitFor((f) => f.some((x) => x.event === 'handshake'));
    const slow = await stalledStream(sub.endpoint, token);
    const dropped = (): boolean => records.some((r) => r.msg === 'sse slow consumer dropped');
    // Each full-resource frame is a few KiB; write in small bursts (well under the cap per tick, so a
    // reader that keeps up never crosses it) until the stalled stream is dropped; bounded in count/time.
    let written = 0;
    // Bounded generously: each write is an fsync, and loopback socket buffers hold megabytes.
    const deadline = Date.now() + 45_000;
    while (!dropped() && Date.now() < deadline && written < 20_000) {
      for (let i = 0; i < 5; i += 1) t.server.simulator?.emitCriticalPotassium();
      written += 5;
      await sleep(2);
    }
    const drops = records.filter((r) => r.msg === 'sse slow consumer dropped');
    expect(drops).toHaveLength(1);
    // The server ended the stalled connection: once the client reads again it reaches EOF.
    slow.socket.resume();
    await Promise.race([slow.closed, sleep(5000)]);
    expect(slow.socket.destroyed).toBe(true);
    const warning = records.find((r) => r.msg === 'sse slow consumer dropped');
    expect(warning).toBeDefined();
    expect(Number(warning?.buffered)).toBeGreaterThan(64 * 1024);
    // The healthy stream received every event, in order, and is still open.
    await healthy.waitFor((f) => events(f).length === written, 15_000);
    expect(events(healthy.frames).map((f) => Number(f.id))).toEqual(
      Array.from({ length: written }, (_, i) => i + 1),
    );
    expect(healthy.closed).toBe(false);
    t.server.simulator?.emitCriticalPotassium();
    await healthy.waitFor((f) => events(f).length === written + 1);
    healthy.close();
    // The dropped client reconnects with its cursor and catches up (replay waits for drain, no drop).
    const again = await openSse(sub.endpoint, { ...bearer(token), 'last-event-id': '0' });
    await again.waitFor((f) => events(f).length === written + 1, 20_000);
    again.close();
    const status = await fhir('GET', `${t.server.fhirBase}/Subscription/${sub.id}/$status`, token);
    expect(status.status).toBe(200);
  }, 60_000);
});
