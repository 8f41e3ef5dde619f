// The fake Medplum's websocket subscriptions, as observed: only the JSON bind message is understood (the
// IG's text form gets no answer at all), a bound subscription gets a handshake Bundle, heartbeats come
// from one server-wide timer as one Bundle per socket with one SubscriptionStatus entry per bound
// subscription, `{"type":"ping"}` gets `{"type":"pong"}`, an event carries eventNumber "0" and the whole
// resource as the next entry (a delete carries the last version, unchanged), and closing a socket
// deletes the subscriptions bound to it. Re-binding a token whose subscription is gone gets a handshake
// but never an event.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { matchesSearch, WS_PATH } from './fhir.ts';
import type { Json, PeerState } from './state.ts';

export interface PeerWebsockets {
  /** Send an event for a written resource to every socket bound to a matching subscription. */
  notify(resource: Json): void;
  /** Send any frame to every socket that has bound a subscription (tests of odd notifications). */
  broadcast(frame: unknown): void;
  /** Drop every socket from the server side, as a network failure would. */
  dropAll(): void;
  /** Subscriptions currently bound to an open socket. */
  bound(): string[];
  close(): void;
}

function statusEntry(subscriptionId: string, type: string, extra: Json = {}): Json {
  return {
    resource: {
      resourceType: 'SubscriptionStatus',
      id: randomUUID(),
      status: 'active',
      type,
      subscription: { reference: `Subscription/${subscriptionId}` },
      ...extra,
    },
  };
}

function bundle(entries: Json[]): string {
  return JSON.stringify({
    id: randomUUID(),
    resourceType: 'Bundle',
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: entries,
  });
}

function display(resource: Json): string | undefined {
  const code = resource['code'] as { text?: string; coding?: Array<{ display?: string }> } | undefined;
  return code?.coding?.[0]?.display ?? code?.text;
}

export function attachWebsockets(server: Server, state: PeerState, heartbeatMs: number): PeerWebsockets {
  const wss = new WebSocketServer({ noServer: true });
  const boundTo = new Map<WebSocket, Set<string>>();
  server.on('upgrade', (request, socket, head) => {
    if ((request.url ?? '').split('?')[0] !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
  });

  function accept(ws: WebSocket): void {
    boundTo.set(ws, new Set());
    ws.on('message', (data: Buffer) => {
      let message: { type?: string; payload?: { token?: string } };
      try {
        message = JSON.parse(data.toString('utf8')) as typeof message;
      } catch {
        return; // Medplum: an unhandled SyntaxError in the server log, no answer on the socket
      }
      if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      if (message.type !== 'bind-with-token') return;
      const subscriptionId = state.bindingTokens.get(message.payload?.token ?? '');
      if (subscriptionId === undefined) {
        ws.send(
          JSON.stringify({
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'invalid' }],
          }),
        );
        return;
      }
      if (state.subscriptions.has(subscriptionId)) boundTo.get(ws)?.add(subscriptionId);
      ws.send(bundle([statusEntry(subscriptionId, 'handshake')]));
    });
    ws.on('close', () => {
      for (const id of boundTo.get(ws) ?? []) state.subscriptions.delete(id);
      boundTo.delete(ws);
    });
  }

  const heartbeat = setInterval(() => {
    for (const [ws, ids] of boundTo) {
      if (ids.size > 0) ws.send(bundle([...ids].map((id) => statusEntry(id, 'heartbeat'))));
    }
  }, heartbeatMs);

  return {
    notify(resource) {
      const focus = `${String(resource['resourceType'])}/${String(resource['id'])}`;
      for (const [ws, ids] of boundTo) {
        for (const id of ids) {
          const sub = state.subscriptions.get(id);
          if (!sub || !matchesSearch(resource, String(sub.resource['criteria']))) continue;
          const timestamp = new Date().toISOString();
          const reference = {
            reference: focus,
            ...(display(resource) ? { display: display(resource) } : {}),
          };
          ws.send(
            bundle([
              statusEntry(id, 'event-notification', {
                notificationEvent: [{ eventNumber: '0', timestamp, focus: reference }],
              }),
              { resource, fullUrl: `${state.fhirBase}/${focus}` },
            ]),
          );
        }
      }
    },
    broadcast(frame) {
      for (const [ws, ids] of boundTo) if (ids.size > 0) ws.send(JSON.stringify(frame));
    },
    dropAll() {
      for (const ws of boundTo.keys()) ws.terminate();
    },
    bound: () => [...boundTo.values()].flatMap((ids) => [...ids]),
    close() {
      clearInterval(heartbeat);
      for (const ws of boundTo.keys()) ws.terminate();
      wss.close();
    },
  };
}
