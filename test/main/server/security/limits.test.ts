// Connection limits (docs/server.md, "Limits"): a per-grant cap on open streams counting SSE and bound
// websockets alike, a bind deadline that spares a socket that binds in time, a global connection cap
// answered 503 with Retry-After, the Host check behind a public origin, and the CLI flags that set them.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS } from '../../../../src-main/server/server.ts';
import type { TestServer } from '../helpers.ts';
import { createSubscription, fhir, openSse, sseSubscription, startTestServer } from '../helpers.ts';
import { eventually, signIn } from './support.ts';
import { startServerCli } from '../../../support/server-cli.ts';

let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface TestSocket {
  ws: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
}

async function websocket(url: string): Promise<TestSocket> {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, messages, closed };
}

async function bindingToken(
  server: TestServer,
  token: string,
  id: string,
): Promise<{ token: string; url: string }> {
  const res = await fhir('POST', `${server.server.fhirBase}/Subscription/${id}/$get-ws-binding-token`, token);
  const params = res.body.parameter as { name: string; valueString?: string; valueUrl?: string }[];
  return {
    token: params.find((p) => p.name === 'token')?.valueString ?? '',
    url: params.find((p) => p.name === 'websocket-url')?.valueUrl ?? '',
  };
}

describe('streams per grant', () => {
  it('count SSE streams and bound websockets together, and free a slot when one closes', async () => {
    t = await startTestServer({ simulate: false, maxStreamsPerGrant: 2 });
    const token = t.token('nurse-a');
    const sse = await createSubscription(t, token);
    const ws = await createSubscription(t, token, { channel: 'websocket' });
    const first = await openSse(sse.endpoint, bearer(token));
    const second = await openSse(sse.endpoint, bearer(token));
    expect([first.status, second.status]).toEqual([200, 200]);
    const binding = await bindingToken(t, token, ws.id);
    const socket = await websocket(binding.url);
    socket.ws.send(`bind-with-token ${binding.token}`);
    const refused = await socket.closed;
    expect(refused.code).toBe(4029);
    expect(socket.messages.join('')).toContain('throttled');
    // Another grant of the same user is not affected.
    const other = await openSse(sse.endpoint, bearer(t.token('nurse-a')));
    expect(other.status).toBe(200);
    first.close();
    await eventually(async () => {
      const again = await openSse(sse.endpoint, bearer(token));
      again.close();
      return again.status === 200;
    }, 'a slot to free up once a stream closed');
    second.close();
    other.close();
  });
});

describe('the websocket bind deadline', () => {
  it('closes a socket that never binds with 4002, and spares one that binds in time', async () => {
    t = await startTestServer({ simulate: false, websocketBindTimeoutMs: 400 });
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { channel: 'websocket', heartbeat: 1 });
    const binding = await bindingToken(t, token, sub.id);
    const idle = await websocket(binding.url);
    const bound = await websocket(binding.url);
    bound.ws.send(`bind-with-token ${binding.token}`);
    expect((await idle.closed).code).toBe(4002);
    // Heartbeats arrive every second: two of them outlast the deadline several times over.
    await eventually(
      () => bound.messages.filter((m) => m.includes('"heartbeat"')).length >= 2,
      'two heartbeats on the bound socket',
    );
    expect(bound.ws.readyState).toBe(WebSocket.OPEN);
    bound.ws.close();
  });
});

async function holdConnection(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

async function rawRequest(port: number, head: string): Promise<string> {
  const socket = await holdConnection(port);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  socket.write(head);
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return text;
}

describe('the global connection cap', () => {
  it('answers 503 with Retry-After past the cap, on HTTP and websocket upgrades, and recovers', async () => {
    t = await startTestServer({ simulate: false, maxConnections: 3 });
    const port = Number(new URL(t.server.origin).port);
    const held = [await holdConnection(port), await holdConnection(port), await holdConnection(port)];
    const host = `Host: 127.0.0.1:${port}`;
    const plain = await rawRequest(port, `GET /fhir/metadata HTTP/1.1\r\n${host}\r\n\r\n`);
    expect(plain).toMatch(/^HTTP\/1\.1 503/);
    expect(plain).toMatch(/retry-after: \d+/i);
    expect(plain).toContain('OperationOutcome');
    const upgrade = await rawRequest(
      port,
      `GET /ws/subscriptions HTTP/1.1\r\n${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 503/);
    for (const socket of held) socket.destroy();
    await eventually(async () => {
      const res = await fetch(`${t?.server.fhirBase ?? ''}/metadata`, { headers: { connection: 'close' } });
      await res.text();
      return res.status === 200;
    }, 'the server to answer again once connections closed');
  });

  it('has defaults a ward never reaches', () => {
    expect(DEFAULT_LIMITS.maxStreamsPerGrant).toBeGreaterThanOrEqual(32);
    expect(DEFAULT_LIMITS.websocketBindTimeoutMs).toBeGreaterThanOrEqual(10_000);
    expect(DEFAULT_LIMITS.maxConnections).toBeGreaterThan(10_000);
  });
});

describe('the Host check behind a public origin', () => {
  it('answers to the public origin’s host and the bound loopback names, to nothing else', async () => {
    // Port 1 is never the ephemeral port the server binds: the two hosts differ.
    const proxyPort = 1;
    t = await startTestServer({ simulate: false, publicOrigin: `http://127.0.0.1:${proxyPort}` });
    const port = Number(new URL(t.server.boundOrigin).port);
    const get = (host: string) =>
      rawRequest(port, `GET /fhir/metadata HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(await get(`127.0.0.1:${proxyPort}`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await get(`127.0.0.1:${port}`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await get(`localhost:${port}`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await get(`127.0.0.1:${port + 1}`)).toMatch(/^HTTP\/1\.1 421/);
    expect(await get('rebind.attacker.example')).toMatch(/^HTTP\/1\.1 421/);
  });
});

describe('the standalone CLI', () => {
  it('takes the limits as flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-cli-limits-'));
    const { child, fhirBase, origin } = await startServerCli([
      ...['--port', '0', '--db', join(dir, 'server.sqlite')],
      ...['--max-streams-per-grant', '1', '--ws-bind-timeout', '1', '--max-connections', '500'],
      ...['--log-level', 'warn'],
    ]);
    try {
      const token = (await signIn(origin, fhirBase, 'nurse-a', 'user/*.rs user/Subscription.cruds'))
        .accessToken;
      const sub = await fhir('POST', `${fhirBase}/Subscription`, token, sseSubscription());
      expect(sub.status).toBe(201);
      const endpoint = `${fhirBase}/Subscription/${String(sub.body.id)}/$sse`;
      const first = await openSse(endpoint, bearer(token));
      const second = await openSse(endpoint, bearer(token));
      expect([first.status, second.status]).toEqual([200, 429]);
      first.close();
      const url = `${origin.replace(/^http/, 'ws')}/ws/subscriptions`;
      const idle = await websocket(url);
      expect((await idle.closed).code).toBe(4002);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
