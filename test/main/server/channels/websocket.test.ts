import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { TestServer } from '../helpers.ts';
import { createSubscription, fhir, focusOf, startTestServer, statusOf } from '../helpers.ts';

let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

interface Socket {
  ws: WebSocket;
  messages: unknown[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor(n: number): Promise<void>;
}

async function connect(url: string): Promise<Socket> {
  const ws = new WebSocket(url);
  const messages: unknown[] = [];
  ws.on('message', (data) => {
    const text = String(data);
    messages.push(text.startsWith('{') ? JSON.parse(text) : text);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    async waitFor(n) {
      const end = Date.now() + 5000;
      while (messages.length < n && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      if (messages.length < n) throw new Error(`only ${messages.length} messages`);
    },
  };
}

async function bindingToken(
  t: TestServer,
  token: string,
  id: string,
): Promise<{ token: string; url: string }> {
  const res = await fhir('POST', `${t.server.fhirBase}/Subscription/${id}/$get-ws-binding-token`, token);
  const params = res.body.parameter as {
    name: string;
    valueString?: string;
    valueUrl?: string;
    valueDateTime?: string;
  }[];
  expect(params.find((p) => p.name === 'expiration')?.valueDateTime).toBeTruthy();
  return {
    token: params.find((p) => p.name === 'token')?.valueString ?? '',
    url: params.find((p) => p.name === 'websocket-url')?.valueUrl ?? '',
  };
}

describe('websocket channel', () => {
  it('binds with the text form, sends a handshake and then event notifications', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { channel: 'websocket' });
    const binding = await bindingToken(t, token, sub.id);
    expect(binding.url).toBe(`${t.server.origin.replace('http', 'ws')}/ws/subscriptions`);
    const socket = await connect(binding.url);
    socket.ws.send(`bind-with-token ${binding.token}`);
    await socket.waitFor(1);
    expect(statusOf(socket.messages[0]).get('type')).toBe('handshake');
    const obs = t.server.simulator?.emitCriticalPotassium();
    await socket.waitFor(2);
    expect(statusOf(socket.messages[1]).get('type')).toBe('event-notification');
    expect(focusOf(socket.messages[1])).toBe(`${t.server.fhirBase}/Observation/${obs?.id}`);
    socket.ws.close();
  });

  it('accepts the Medplum JSON bind form and answers pings', async () => {
    t = await startTestServer();
    const token = t.token('nurse-a');
    const sub = await createSubscription(t, token, { channel: 'websocket' });
    const binding = await bindingToken(t, token, sub.id);
    const socket = await connect(binding.url);
    socket.ws.send(JSON.stringify({ type: 'bind-with-token', payload: { token: binding.token } }));
    await socket.waitFor(1);
    expect(statusOf(socket.messages[0]).get('type')).toBe('handshake');
    socket.ws.send(JSON.stringify({ type: 'ping' }));
    await socket.waitFor(2);
    expect(socket.messages[1]).toEqual({ type: 'pong' });
    socket.ws.close();
  });

  it('closes with a clear reason for an unknown token, on revocation and on expiry', async () => {
    t = await startTestServer();
    const bad = await connect(`${t.server.origin.replace('http', 'ws')}/ws/subscriptions`);
    bad.ws.send('bind-with-token bt_nope');
    const badClose = await bad.closed;
    expect(badClose.code).toBe(4001);
    expect(badClose.reason).toContain('binding token');

    const issued = t.server.auth.issueToken({
      userId: 'nurse-a',
      clientId: 'alert-monitor-desktop',
      scopes: ['user/*.cruds'],
    });
    const sub = await createSubscription(t, issued.accessToken, { channel: 'websocket' });
    const binding = await bindingToken(t, issued.accessToken, sub.id);
    const socket = await connect(binding.url);
    socket.ws.send(`bind-with-token ${binding.token}`);
    await socket.waitFor(1);
    t.server.auth.revokeGrant(issued.grantId);
    expect((await socket.closed).code).toBe(4003);

    // A 1 s token that is still valid when the socket binds, however slow setting it up is on a loaded
    // machine: the wall clock (Date) is held still from issuing it to the handshake, so the server's
    // expiry timer is 1 s of real time from the bind.
    vi.useFakeTimers({ toFake: ['Date'] });
    let socket2: Socket;
    try {
      const short = t.token('nurse-a', ['user/*.cruds'], 1);
      const sub2 = await createSubscription(t, short, { channel: 'websocket' });
      const binding2 = await bindingToken(t, short, sub2.id);
      socket2 = await connect(binding2.url);
      socket2.ws.send(`bind-with-token ${binding2.token}`);
      await socket2.waitFor(1);
    } finally {
      vi.useRealTimers();
    }
    expect(statusOf(socket2.messages[0]).get('type')).toBe('handshake');
    const expired = await socket2.closed;
    expect(expired.code).toBe(4001);
    expect(expired.reason).toContain('expired');
  });
});
