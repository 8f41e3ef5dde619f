import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import {
  bindMessage,
  createWebSocketChannel,
  parseBindingParameters,
} from '../../../../src-main/core/channels/websocket-channel.ts';
import type { WebSocketChannelOptions } from '../../../../src-main/core/channels/websocket-channel.ts';
import type { Channel } from '../../../../src-main/core/channels/types.ts';
import { eventBundle, handshakeBundle, recorder, sleep } from './helpers.ts';
import type { Recorder } from './helpers.ts';

interface WsTestServer {
  base: string;
  tokenRequests: { method: string; authorization: string | undefined; url: string }[];
  /** Per socket: the messages the client sent. */
  sockets: { socket: WebSocket; path: string; received: string[] }[];
  close(): Promise<void>;
}

interface Script {
  /** Answer for the n-th token request (default 200 with a fresh token valid for 1 h). */
  tokenAnswer?: (n: number, port: number, method: string) => { status: number; body?: unknown };
  /** Called for every message received on a socket. */
  onClientMessage?: (socket: WebSocket, text: string, socketIndex: number) => void;
}

function tokenParameters(token: string, expiresInMs: number, wsUrl: string): unknown {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'token', valueString: token },
      { name: 'expiration', valueDateTime: new Date(Date.now() + expiresInMs).toISOString() },
      { name: 'subscription', valueString: 'Subscription/sub-1' },
      { name: 'websocket-url', valueUrl: wsUrl },
    ],
  };
}

async function startWsServer(script: Script): Promise<WsTestServer> {
  const tokenRequests: WsTestServer['tokenRequests'] = [];
  const sockets: WsTestServer['sockets'] = [];
  let port = 0;
  const http = createServer((req, res) => {
    if (!req.url?.endsWith('/Subscription/sub-1/$get-ws-binding-token')) {
      res.writeHead(404).end();
      return;
    }
    const n = tokenRequests.length;
    tokenRequests.push({ method: req.method ?? '', authorization: req.headers.authorization, url: req.url });
    const answer = script.tokenAnswer?.(n, port, req.method ?? '') ?? {
      status: 200,
      body: tokenParameters(`wstoken-${n}`, 3_600_000, `ws://127.0.0.1:${port}/ws/subscriptions-r4`),
    };
    res.writeHead(answer.status, { 'Content-Type': 'application/fhir+json' });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, req) => {
    const entry = { socket, path: req.url ?? '', received: [] as string[] };
    const index = sockets.length;
    sockets.push(entry);
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      entry.received.push(text);
      script.onClientMessage?.(socket, text, index);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/fhir`,
    tokenRequests,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

let server: WsTestServer | null = null;
let channel: Channel | null = null;

afterEach(async () => {
  await channel?.stop();
  channel = null;
  await server?.close();
  server = null;
});

function makeChannel(rec: Recorder, overrides: Partial<WebSocketChannelOptions> = {}): Channel {
  if (!server) throw new Error('start the server first');
  channel = createWebSocketChannel({
    fhirBase: server.base,
    subscriptionId: 'sub-1',
    getAccessToken: async () => 'access-xyz',
    callbacks: rec.callbacks,
    backoff: { baseMs: 10, capMs: 100 },
    random: () => 0.5,
    ...overrides,
  });
  channel.start();
  return channel;
}

/** Server behaviour on bind: a handshake, then events `from..to`. */
function onBindSend(from: number, to: number): Script['onClientMessage'] {
  return (socket, text) => {
    if (!text.includes('bind-with-token')) return;
    socket.send(JSON.stringify(handshakeBundle(from - 1)));
    for (let i = from; i <= to; i++) socket.send(JSON.stringify(eventBundle(i)));
  };
}

/** A server that answers every bind with a handshake (the channel is live only once it does). */
const answerBinds: Script['onClientMessage'] = (socket, text) => {
  if (text.includes('bind-with-token')) socket.send(JSON.stringify(handshakeBundle(0)));
};

describe('websocket channel', () => {
  it('POSTs $get-ws-binding-token with the bearer, binds with text, delivers frames in order one at a time', async () => {
    server = await startWsServer({ onClientMessage: onBindSend(1, 20) });
    let inFlight = 0;
    let maxInFlight = 0;
    const rec = recorder({
      onFrame: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(1);
        inFlight -= 1;
      },
    });
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 20);
    expect(server.tokenRequests[0]).toMatchObject({ method: 'POST', authorization: 'Bearer access-xyz' });
    expect(server.sockets[0]?.path).toBe('/ws/subscriptions-r4');
    expect(server.sockets[0]?.received).toEqual(['bind-with-token wstoken-0']);
    expect(rec.frames[0]).toMatchObject({ kind: 'notification', notification: { type: 'handshake' } });
    expect(rec.eventNumbers()).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    expect(maxInFlight).toBe(1);
    expect(rec.states.slice(0, 2)).toEqual([
      ['connecting', null],
      ['live', null],
    ]);
  });

  it('binds with the Medplum JSON form when bindStyle is json (token via GET)', async () => {
    server = await startWsServer({
      onClientMessage: (socket, text) => {
        const msg = JSON.parse(text) as { type: string; payload: { token: string } };
        if (msg.type === 'bind-with-token') socket.send(JSON.stringify(handshakeBundle(0)));
      },
    });
    const rec = recorder();
    makeChannel(rec, { bindStyle: 'json', tokenMethod: 'GET' });
    await rec.waitFor(() => rec.frames.length === 1);
    expect(server.tokenRequests[0]?.method).toBe('GET');
    expect(JSON.parse(server.sockets[0]?.received[0] ?? '')).toEqual({
      type: 'bind-with-token',
      payload: { token: 'wstoken-0' },
    });
  });

  it('re-binds with a new token before expiry on the same socket', async () => {
    server = await startWsServer({
      onClientMessage: answerBinds,
      tokenAnswer: (n, port) => ({
        status: 200,
        body: tokenParameters(`wstoken-${n}`, 2200, `ws://127.0.0.1:${port}/ws/subscriptions-r4`),
      }),
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => (server?.sockets[0]?.received.length ?? 0) >= 2, 20_000);
    expect(server.sockets).toHaveLength(1);
    expect(server.sockets[0]?.received.slice(0, 2)).toEqual([
      'bind-with-token wstoken-0',
      'bind-with-token wstoken-1',
    ]);
  });

  it('a changed websocket-url on refresh opens a new connection', async () => {
    server = await startWsServer({
      onClientMessage: answerBinds,
      tokenAnswer: (n, port) => ({
        status: 200,
        body: tokenParameters(`wstoken-${n}`, 2200, `ws://127.0.0.1:${port}/ws/v${n === 0 ? 1 : 2}`),
      }),
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => (server?.sockets.length ?? 0) === 2, 20_000);
    expect(server.sockets.map((s) => s.path)).toEqual(['/ws/v1', '/ws/v2']);
    expect(rec.states).toContainEqual(['reconnecting', 'websocket-url changed']);
  });

  it('server closing the socket → fresh token, reconnect, live "reconnected" (caller catches up)', async () => {
    server = await startWsServer({
      onClientMessage: (socket, text, index) => {
        if (!text.startsWith('bind-with-token')) return;
        socket.send(JSON.stringify(eventBundle(index + 1)));
        if (index === 0) setTimeout(() => socket.close(1001), 20);
      },
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 2);
    expect(server.sockets[1]?.received).toEqual(['bind-with-token wstoken-1']);
    expect(rec.states).toContainEqual(['reconnecting', 'socket closed (1001)']);
    expect(rec.states).toContainEqual(['live', 'reconnected']);
  });

  it('401 on the token endpoint → onUnauthorized; false stops the channel', async () => {
    server = await startWsServer({ tokenAnswer: () => ({ status: 401 }) });
    const rec = recorder({ onUnauthorized: async () => false });
    makeChannel(rec);
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(rec.unauthorized).toEqual([401]);
    expect(rec.states.at(-1)).toEqual(['stopped', 'unauthorized (HTTP 401)']);
  });

  it('404 on the token endpoint (deleted subscription) stops instead of looping', async () => {
    server = await startWsServer({ tokenAnswer: () => ({ status: 404 }) });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('malformed messages → onError and the socket continues; dialect chatter is ignored', async () => {
    server = await startWsServer({
      onClientMessage: (socket) => {
        socket.send('keepalive 2026-11-22T13:30:00Z');
        socket.send('{"type":"pong"}');
        socket.send('{not json John Smith');
        socket.send(JSON.stringify({ resourceType: 'Bundle', type: 'history', entry: [] }));
        socket.send('hello John Smith');
        socket.send(JSON.stringify(eventBundle(1)));
      },
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 1);
    expect(rec.errors).toEqual([
      'websocket message is not valid JSON',
      'websocket notification: Bundle has no status entry',
      'unrecognized websocket message',
    ]);
    expect(server.sockets).toHaveLength(1);
  });

  it('an OperationOutcome (Medplum bind failure) → error and a fresh bind on a new socket', async () => {
    server = await startWsServer({
      onClientMessage: (socket, _text, index) => {
        if (index === 0) {
          socket.send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] }));
        } else {
          socket.send(JSON.stringify(handshakeBundle(0)));
        }
      },
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.frames.length === 1);
    expect(rec.errors).toEqual(['server sent an OperationOutcome; rebinding']);
    expect(server.tokenRequests).toHaveLength(2);
  });

  it('watchdog: a silent socket is reconnected', async () => {
    server = await startWsServer({
      onClientMessage: (socket, _text, index) => {
        if (index > 0) socket.send(JSON.stringify(handshakeBundle(0)));
      },
    });
    const rec = recorder();
    makeChannel(rec, { heartbeatSeconds: 0.05, watchdogSlackMs: 100 });
    await rec.waitFor(() => rec.frames.length === 1);
    expect(rec.states).toContainEqual(['reconnecting', 'watchdog: no message within 0 s']);
  });
});

// What Medplum 5.0.10 did on this machine (docs/interop.md): `$get-ws-binding-token` answers GET only
// (POST is 404), a text bind gets no answer at all (only the JSON form is understood), and the token
// request for a subscription deleted with its socket answers 400 "Error reading subscription: Not found".
describe('websocket channel: discovering the server dialect, and liveness', () => {
  const medplumTokens = (): Script['tokenAnswer'] => (n, port, method) =>
    method === 'GET'
      ? {
          status: 200,
          body: tokenParameters(`wstoken-${n}`, 3_600_000, `ws://127.0.0.1:${port}/ws/subscriptions-r4`),
        }
      : {
          status: 404,
          body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] },
        };
  const answersJsonBindsOnly: Script['onClientMessage'] = (socket, text) => {
    if (text.startsWith('{') && text.includes('bind-with-token'))
      socket.send(JSON.stringify(handshakeBundle(0)));
  };

  it('is live only once the server answers the bind, not when the socket opens', async () => {
    let bindSocket: WebSocket | null = null;
    server = await startWsServer({
      onClientMessage: (socket, text) => {
        if (text.includes('bind-with-token')) bindSocket = socket;
      },
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => bindSocket !== null);
    expect(rec.states).toEqual([['connecting', null]]);
    (bindSocket as WebSocket | null)?.send(JSON.stringify(handshakeBundle(0)));
    await rec.waitFor(() => rec.states.some(([state]) => state === 'live'));
    expect(rec.states).toEqual([
      ['connecting', null],
      ['live', null],
    ]);
  });

  it('finds the token method (POST refused, GET answered) and the bind form (JSON), and remembers both', async () => {
    server = await startWsServer({
      tokenAnswer: medplumTokens(),
      onClientMessage: (socket, text, index) => {
        answersJsonBindsOnly(socket, text, index);
        // The first socket is dropped once bound: the reconnect must use what was learned.
        if (index === 0 && text.startsWith('{')) setTimeout(() => socket.close(1001), 20);
      },
    });
    const rec = recorder();
    const learned: unknown[] = [];
    makeChannel(rec, { tokenMethod: 'auto', bindStyle: 'auto', onLearned: (facts) => learned.push(facts) });
    await rec.waitFor(() => rec.states.some(([s, d]) => s === 'live' && d === 'reconnected'));
    expect(server.tokenRequests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET']);
    expect(server.sockets.map((s) => s.received.map((m) => (m.startsWith('{') ? 'json' : 'text')))).toEqual([
      ['json'],
      ['json'],
    ]);
    expect(learned).toEqual([{ tokenMethod: 'GET' }, { bindStyle: 'json' }]);
  });

  it('falls back to the text bind on the same socket when the JSON form is refused or not answered', async () => {
    const textOnly =
      (refuseJson: boolean): Script['onClientMessage'] =>
      (socket, text) => {
        if (text.startsWith('bind-with-token ')) socket.send(JSON.stringify(handshakeBundle(0)));
        else if (refuseJson) socket.send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [] }));
      };
    for (const refuseJson of [true, false]) {
      server = await startWsServer({ onClientMessage: textOnly(refuseJson) });
      const rec = recorder();
      const learned: unknown[] = [];
      makeChannel(rec, { bindStyle: 'auto', bindTimeoutMs: 200, onLearned: (facts) => learned.push(facts) });
      await rec.waitFor(() => rec.states.some(([s]) => s === 'live'));
      expect(server.sockets).toHaveLength(1);
      expect(server.sockets[0]?.received.map((m) => (m.startsWith('{') ? 'json' : 'text'))).toEqual([
        'json',
        'text',
      ]);
      expect(learned).toEqual([{ bindStyle: 'text' }]);
      expect(rec.errors).toEqual([]);
      await channel?.stop();
      channel = null;
      await server.close();
      server = null;
    }
  });

  it('starts with what was remembered for this server', async () => {
    server = await startWsServer({ tokenAnswer: medplumTokens(), onClientMessage: answersJsonBindsOnly });
    const rec = recorder();
    makeChannel(rec, {
      tokenMethod: 'auto',
      bindStyle: 'auto',
      remembered: { tokenMethod: 'GET', bindStyle: 'json' },
    });
    await rec.waitFor(() => rec.states.some(([s]) => s === 'live'));
    expect(server.tokenRequests.map((r) => r.method)).toEqual(['GET']);
    expect(server.sockets[0]?.received).toHaveLength(1);
  });

  it('a subscription the server no longer has (400 "Not found") stops the channel and says so, once', async () => {
    server = await startWsServer({
      tokenAnswer: () => ({
        status: 400,
        body: {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'invalid',
              details: { text: 'Error reading subscription: Not found' },
            },
          ],
        },
      }),
    });
    const rec = recorder();
    makeChannel(rec, { tokenMethod: 'GET', bindStyle: 'json' });
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(rec.gone).toEqual(['subscription not found on the server (HTTP 400)']);
    expect(server.tokenRequests).toHaveLength(1);
  });
});

describe('parseBindingParameters / bindMessage', () => {
  it('accepts a well-formed answer', () => {
    const parsed = parseBindingParameters(tokenParameters('abc.def', 60_000, 'wss://fhir.example/ws'));
    expect(parsed).toMatchObject({ token: 'abc.def', websocketUrl: 'wss://fhir.example/ws' });
  });

  it('refuses tokens that could inject a second text command, and non-websocket URLs', () => {
    expect(parseBindingParameters(tokenParameters('abc\nunbind x', 60_000, 'ws://h/ws'))).toEqual({
      error: 'binding token missing or not a single printable word',
    });
    expect(parseBindingParameters(tokenParameters('abc', 60_000, 'https://h/ws'))).toEqual({
      error: 'websocket-url missing or not ws:/wss:',
    });
    expect(parseBindingParameters({ resourceType: 'OperationOutcome' })).toEqual({
      error: 'binding token answer is not a Parameters resource',
    });
  });

  it('formats both bind styles', () => {
    expect(bindMessage('t1', 'text')).toBe('bind-with-token t1');
    expect(bindMessage('t1', 'json')).toBe('{"type":"bind-with-token","payload":{"token":"t1"}}');
  });
});
