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
import {
  createInbox,
  MAX_QUEUED_MESSAGES,
} from '../../../../src-main/core/channels/websocket-group-commit.ts';
import type { Channel, ChannelFrame } from '../../../../src-main/core/channels/types.ts';
import { eventBundle, handshakeBundle, heartbeatBundle, recorder, sleep } from './helpers.ts';
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

// Group commit (websocket-group-commit.ts; docs/benchmarks.md, "Group commit in the SSE channel"). Each
// test first lets the channel go idle (its handshake delivered), then holds the pipeline's first event
// commit while the server sends more. A ping sent after the burst proves the client has read everything
// before it: ws answers pings in stream order, after emitting the messages ahead of them.
describe('websocket channel: group commit', () => {
  /** A promise the test opens when it chooses. */
  const gate = (): { opened: Promise<void>; open(): void } => {
    let open = (): void => undefined;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { opened, open };
  };
  /** Resolves once the client has read everything the server sent before this call. */
  const readUpTo = (socket: WebSocket): Promise<void> =>
    new Promise((resolve) => {
      socket.once('pong', () => resolve());
      socket.ping();
    });
  const settlesWithin = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
    Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
  const range = (from: number, to: number): string[] =>
    Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
  const isEvent = (frame: ChannelFrame): boolean =>
    frame.kind === 'notification' && frame.notification.type === 'event-notification';
  const summary = (frame: ChannelFrame): string => {
    if (frame.kind !== 'notification') return frame.kind;
    if (!isEvent(frame)) return frame.notification.type;
    const numbers = frame.notification.events.map((e) => e.eventNumber);
    return numbers.length === 1 ? `event ${numbers[0]}` : `events ${numbers[0]}-${numbers.at(-1)}`;
  };
  const send = (socket: WebSocket, ...bundles: Record<string, unknown>[]): void => {
    for (const bundle of bundles) socket.send(JSON.stringify(bundle));
  };
  const events = (from: number, to: number): Record<string, unknown>[] =>
    range(from, to).map((n) => eventBundle(Number(n)));

  /**
   * A bound, idle channel. `log` has every state and every onFrame call (`refused` after one that
   * threw); `onEventFrame` gets the n-th event frame before it counts as committed.
   */
  async function idleChannel(
    onEventFrame: (n: number) => Promise<void>,
    onClientMessage: Script['onClientMessage'] = answerBinds,
  ): Promise<{ rec: Recorder; log: string[]; socket: WebSocket }> {
    server = await startWsServer({ onClientMessage });
    const log: string[] = [];
    let eventFrames = 0;
    const rec = recorder({
      onFrame: async (frame) => {
        log.push(summary(frame));
        if (!isEvent(frame)) return;
        try {
          await onEventFrame(eventFrames++);
        } catch (error) {
          log.push('refused');
          throw error;
        }
      },
    });
    makeChannel(rec, {
      callbacks: {
        ...rec.callbacks,
        onState: (state, detail) => {
          log.push(detail === null ? state : `${state} (${detail})`);
          rec.callbacks.onState(state, detail);
        },
      },
    });
    await rec.waitFor(() => rec.frames.length === 1);
    const socket = server.sockets[0]?.socket;
    if (!socket) throw new Error('no socket');
    return { rec, log, socket };
  }

  it('commits a burst that arrived during a commit as one frame: every event once, in order', async () => {
    // Below the inbox bound, so the whole burst is read while the first commit is held (the flood test
    // goes beyond it).
    const N = 60;
    expect(N).toBeLessThan(MAX_QUEUED_MESSAGES);
    const first = gate();
    const { rec, socket } = await idleChannel(async (n) => {
      if (n === 0) await first.opened;
    });
    send(socket, ...events(1, N));
    // The client answers a ping sent behind the burst only once it has read the whole burst: below the
    // bound it reads on while the first commit is held (the test's deadline is the failure otherwise).
    await readUpTo(socket);
    first.open();
    await rec.waitFor(() => rec.eventNumbers().length >= N);
    expect(rec.eventNumbers()).toEqual(range(1, N));
    const eventFrames = rec.frames.filter(isEvent).map(summary);
    expect(eventFrames.length).toBeLessThan(N / 4);
    // The first found the channel idle and went at once; the rest waited for its commit, then one frame.
    expect(eventFrames).toEqual(['event 1', `events 2-${N}`]);
  });

  it('a heartbeat inside a burst ends the run and is delivered in its place', async () => {
    const first = gate();
    const { rec, log, socket } = await idleChannel(async (n) => {
      if (n === 0) await first.opened;
    });
    send(socket, ...events(1, 10), heartbeatBundle(10), ...events(11, 20));
    await readUpTo(socket);
    first.open();
    await rec.waitFor(() => rec.eventNumbers().length >= 20);
    expect(log.filter((entry) => !/^(connecting|live)/.test(entry))).toEqual([
      'handshake',
      'event 1',
      'events 2-10',
      'heartbeat',
      'events 11-20',
    ]);
    expect(rec.eventNumbers()).toEqual(range(1, 20));
  });

  it('a merged frame the pipeline refuses ends the connection: nothing queued behind it is delivered on it', async () => {
    const first = gate();
    const { rec, log, socket } = await idleChannel(
      async (n) => {
        if (n === 0) await first.opened;
        if (n === 1) throw new Error('disk full');
      },
      (client, text, index) => {
        if (!text.includes('bind-with-token')) return;
        client.send(JSON.stringify(handshakeBundle(index === 0 ? 0 : 20)));
        if (index === 1) client.send(JSON.stringify(eventBundle(21)));
      },
    );
    send(socket, ...events(1, 10), heartbeatBundle(10), ...events(11, 20));
    await readUpTo(socket);
    first.open();
    await rec.waitFor(() => rec.eventNumbers().includes('21'));
    // The heartbeat and events 11-20 were queued behind the refused frame: the pipeline catches up
    // from its cursor after the reconnect, the old connection delivers nothing more.
    expect(log).toEqual([
      'connecting',
      'live',
      'handshake',
      'event 1',
      'events 2-10',
      'refused',
      'reconnecting (frame handler failed)',
      'live (reconnected)',
      'handshake',
      'event 21',
    ]);
    expect(rec.errors).toEqual(['frame handler failed; reconnecting']);
    expect(rec.eventNumbers()).toEqual(['1', '21']);
  });

  it('a message that finds the channel idle is delivered at once, on its own', async () => {
    const { rec, socket } = await idleChannel(async () => undefined);
    send(socket, eventBundle(1));
    // Nothing else is sent until it is delivered: the channel waits for no more data, and no timer.
    await rec.waitFor(() => rec.frames.length === 2);
    send(socket, eventBundle(2));
    await rec.waitFor(() => rec.frames.length === 3);
    expect(rec.frames.map(summary)).toEqual(['handshake', 'event 1', 'event 2']);
  });

  it('a reconnect requested during a commit waits for that commit before connecting again', async () => {
    const first = gate();
    const { rec, log, socket } = await idleChannel(async (n) => {
      if (n === 0) await first.opened;
    });
    send(socket, eventBundle(1), ...events(2, 5));
    await rec.waitFor(() => log.includes('event 1'));
    channel?.reconnect('token refreshed');
    await rec.waitFor(() => socket.readyState === socket.CLOSED);
    await sleep(200);
    log.push('released');
    first.open();
    await rec.waitFor(() => log.includes('live (reconnected)'));
    expect(log.slice(log.indexOf('event 1'))).toEqual([
      'event 1',
      'released',
      'reconnecting (token refreshed)',
      'live (reconnected)',
      'handshake',
    ]);
    expect(rec.eventNumbers()).toEqual(['1']);
  });

  it('a flood: the socket is not read past the inbox bound until the commit returns; every event once, in order', async () => {
    const N = 5 * MAX_QUEUED_MESSAGES;
    const first = gate();
    const { rec, socket } = await idleChannel(async (n) => {
      if (n === 0) await first.opened;
    });
    send(socket, ...events(1, N));
    const readAll = readUpTo(socket);
    // The ping lies far behind the bound (and the socket read that crossed it): unread while held.
    const readWhileHeld = await settlesWithin(readAll, 300);
    first.open();
    expect(readWhileHeld).toBe(false);
    await readAll;
    await rec.waitFor(() => rec.eventNumbers().length >= N);
    expect(rec.eventNumbers()).toEqual(range(1, N));
    expect(rec.frames.filter(isEvent).length).toBeLessThan(N);
  });

  it('the inbox is bounded by count and bytes', () => {
    const inbox = createInbox(3, 100);
    const arrived = (bytes: number) => ({ text: '', bytes, receivedAt: 0 });
    expect([inbox.push(arrived(10)), inbox.push(arrived(10)), inbox.push(arrived(10))]).toEqual([
      false,
      false,
      true,
    ]);
    expect(inbox.takeAll()).toHaveLength(3);
    expect(inbox.size).toBe(0);
    expect(inbox.push(arrived(100))).toBe(true);
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
