// The standard websocket channel (Backport IG "Websockets"): the client fetches a binding token with
// $get-ws-binding-token, connects to websocket-url and sends `bind-with-token <token>` (text; the
// `bind-with-token: <token>` variant of the IG diagram and Medplum's JSON form are accepted too). The
// server answers one handshake per bound subscription, then heartbeats and event notifications as JSON
// Bundles. The socket closes with a clear reason when the grant expires or is revoked, when it has not
// bound within the bind deadline, or when its grant already holds as many streams as it may.
import type { Server } from 'node:http';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { at, field, parseJson } from '../../shared/fhir-json.ts';
import type { ConnectionGuard } from '../base/connection-guard.ts';
import type { AccessGrant } from '../base/grant.ts';
import type { ServerContext } from '../context.ts';
import { FhirError, operationOutcome } from '../base/outcome.ts';
import type { BusMessage } from '../subscriptions/engine.ts';
import type { StreamRegistry } from './registry.ts';
import { eventBundle, requireStreamCapacity, statusBundle, streamableSubscription } from './delivery.ts';

export const WEBSOCKET_PATH = '/ws/subscriptions';
const MAX_DELAY = 2 ** 31 - 1;

/** Close codes in the private range, with reasons a person can read. */
export const CLOSE = {
  tokenExpired: 4001,
  bindTimeout: 4002,
  revoked: 4003,
  badRequest: 4000,
  slow: 4008,
  tooManyStreams: 4029,
  shutdown: 1001,
} as const;

export function parseBindMessage(text: string): string | null {
  const trimmed = text.trim();
  const plain = /^bind-with-token:?\s+(\S+)$/.exec(trimmed);
  if (plain?.[1]) return plain[1];
  if (!trimmed.startsWith('{')) return null;
  const message = parseJson(trimmed);
  const token = at(message, 'payload', 'token');
  return field(message, 'type') === 'bind-with-token' && typeof token === 'string' ? token : null;
}

export function registerWebsocketChannel(
  server: Server,
  ctx: ServerContext,
  registry: StreamRegistry,
  guard: Pick<ConnectionGuard, 'admitUpgrade'>,
): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    if (!guard.admitUpgrade(request, socket)) return;
    const path = (request.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => handleSocket(ctx, registry, ws));
  });
  return {
    close() {
      for (const client of wss.clients) client.close(CLOSE.shutdown, 'server shutting down');
      wss.close();
    },
  };
}

function handleSocket(ctx: ServerContext, registry: StreamRegistry, ws: WebSocket): void {
  const cleanups: (() => void)[] = [];
  let closed = false;
  const close = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    for (const cleanup of cleanups.splice(0)) cleanup();
    ws.close(code, reason);
  };
  ws.on('close', () => {
    closed = true;
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  // A socket that never binds holds a connection for nothing: it gets the bind deadline.
  let bindDeadline: ReturnType<typeof setTimeout> | null = setTimeout(() => {
    close(CLOSE.bindTimeout, 'no bind-with-token in time');
  }, ctx.limits.websocketBindTimeoutMs);
  const clearBindDeadline = (): void => {
    if (bindDeadline) clearTimeout(bindDeadline);
    bindDeadline = null;
  };
  cleanups.push(clearBindDeadline);

  // Same slow-consumer rule as the SSE channel: a grace period over the cap, an immediate drop far over it.
  const dropSlow = (): void => {
    ctx.logger?.warn({ buffered: ws.bufferedAmount }, 'websocket slow consumer dropped');
    close(CLOSE.slow, 'slow consumer: too much unread data');
  };
  let stallTimer: ReturnType<typeof setTimeout> | null = null;
  cleanups.push(() => {
    if (stallTimer) clearTimeout(stallTimer);
  });
  const send = (payload: unknown): void => {
    if (closed || ws.readyState !== ws.OPEN) return;
    ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
    if (ws.bufferedAmount <= ctx.maxBufferedBytes) return;
    if (ws.bufferedAmount > 4 * ctx.maxBufferedBytes) return dropSlow();
    stallTimer ??= setTimeout(() => {
      stallTimer = null;
      if (!closed && ws.bufferedAmount > ctx.maxBufferedBytes) dropSlow();
    }, ctx.slowConsumerGraceMs);
  };

  const bind = (grant: AccessGrant, subscriptionIds: string[]): void => {
    try {
      requireStreamCapacity(ctx, registry, grant);
    } catch (error) {
      send(operationOutcome('throttled', error instanceof FhirError ? error.message : 'too many streams'));
      close(CLOSE.tooManyStreams, 'too many open streams for this authorization');
      return;
    }
    clearBindDeadline();
    for (const id of subscriptionIds) {
      let entry;
      try {
        entry = streamableSubscription(ctx, grant, id);
      } catch (error) {
        send(operationOutcome('processing', error instanceof FhirError ? error.message : 'cannot bind'));
        continue;
      }
      let lastSent = ctx.engine.eventCount(id);
      const onMessage = (message: BusMessage): void => {
        if (message.kind === 'status') {
          if (message.status !== 'active') send(statusBundle(ctx, entry, 'heartbeat'));
          return;
        }
        if (message.event.eventNumber <= lastSent) return;
        lastSent = message.event.eventNumber;
        const bundle = eventBundle(ctx, entry, grant, message.event);
        if (bundle) send(bundle);
      };
      cleanups.push(ctx.engine.subscribe(id, onMessage));
      send(statusBundle(ctx, entry, 'handshake'));
      const heartbeatMs = (entry.config.heartbeatPeriod ?? ctx.heartbeatSeconds) * 1000;
      const heartbeat = setInterval(() => send(statusBundle(ctx, entry, 'heartbeat')), heartbeatMs);
      cleanups.push(() => clearInterval(heartbeat));
    }
    cleanups.push(
      registry.add(
        grant.grantId,
        () => {
          send(operationOutcome('security', 'The access grant was revoked'));
          close(CLOSE.revoked, 'access revoked');
        },
        () => close(1001, 'server shutting down'),
      ),
    );
    const untilExpiry = grant.expiresAt - Date.now();
    if (untilExpiry <= MAX_DELAY) {
      const expiry = setTimeout(
        () => {
          send(operationOutcome('security', 'The access token behind this binding expired'));
          close(CLOSE.tokenExpired, 'token expired');
        },
        Math.max(0, untilExpiry),
      );
      cleanups.push(() => clearTimeout(expiry));
    }
  };

  ws.on('message', (data, isBinary) => {
    if (isBinary) return close(CLOSE.badRequest, 'binary messages are not supported');
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
    if (text.trim() === 'ping' || text.trim() === '{"type":"ping"}') {
      send(text.trim() === 'ping' ? 'pong' : { type: 'pong' });
      return;
    }
    const token = parseBindMessage(text);
    if (!token) {
      send(operationOutcome('invalid', 'Expected "bind-with-token <token>"'));
      return;
    }
    const binding = ctx.bindingTokens.take(token, Date.now());
    if (!binding) {
      send(operationOutcome('login', 'The binding token is invalid, expired or already used'));
      close(CLOSE.tokenExpired, 'invalid or expired binding token');
      return;
    }
    bind(binding.grant, binding.subscriptionIds);
  });
}
