// The custom SSE channel (docs/sse-channel.md). One stream per subscription: retry, handshake, replay
// from the durable log, then live events. The seam rule is implemented literally: the connection
// subscribes to live events first, snapshots the count S, replays (cursor, S] from SQLite, then emits
// buffered live events > S — so no event is lost or duplicated however writes interleave.
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { field } from '../../shared/fhir-json.ts';
import type { AccessGrant } from '../base/grant.ts';
import type { ServerContext } from '../context.ts';
import type { BusMessage, EventRecord, SubscriptionEntry } from '../subscriptions/engine.ts';
import type { StreamRegistry } from './registry.ts';
import {
  channelGrant,
  eventBundle,
  parseCursor,
  requireStreamCapacity,
  statusBundle,
  streamableSubscription,
} from './delivery.ts';

const REPLAY_BATCH = 500;
/** setTimeout fires at once for delays above 2^31-1 ms; such far deadlines are simply not scheduled. */
const MAX_DELAY = 2 ** 31 - 1;

function later(timers: NodeJS.Timeout[], fn: () => void, delay: number): void {
  if (delay <= MAX_DELAY) timers.push(setTimeout(fn, Math.max(0, delay)));
}

function frame(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

export function registerSseRoute(app: FastifyInstance, ctx: ServerContext, registry: StreamRegistry): void {
  app.get<{ Params: { id: string } }>('/fhir/Subscription/:id/$sse', async (request, reply) => {
    const { id } = request.params;
    const grant = channelGrant(ctx, request, id);
    const entry = streamableSubscription(ctx, grant, id);
    const header = request.headers['last-event-id'];
    const queryCursor = field(request.query, 'last-event-id');
    const rawCursor =
      typeof header === 'string' ? header.trim() : typeof queryCursor === 'string' ? queryCursor : undefined;
    const cursor = parseCursor(rawCursor, ctx.engine.eventCount(id));
    // Checked and registered in the same tick (openStream is synchronous up to registry.add).
    requireStreamCapacity(ctx, registry, grant);
    reply.hijack();
    openStream(ctx, registry, reply.raw, grant, entry, cursor);
  });
}

function openStream(
  ctx: ServerContext,
  registry: StreamRegistry,
  res: ServerResponse,
  grant: AccessGrant,
  entry: SubscriptionEntry,
  cursor: number | null,
): void {
  const id = entry.config.id;
  const log = ctx.logger?.child({ subscriptionId: id, grantId: grant.grantId });
  let closed = false;
  let replaying = true;
  const pending: BusMessage[] = [];
  const timers: NodeJS.Timeout[] = [];

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    unregister();
    for (const timer of timers) clearTimeout(timer);
    log?.info({ reason }, 'sse stream closed');
    res.end();
  };

  const drop = (): void => {
    if (closed) return;
    log?.warn({ buffered: res.writableLength }, 'sse slow consumer dropped');
    closed = true;
    unsubscribe();
    unregister();
    for (const timer of timers) clearTimeout(timer);
    res.destroy();
  };
  // Slow-consumer rule (like Mercure's dispatch timeout): over the cap starts a grace period; a reader
  // that drains below the cap in time was only behind a burst. Still over when it ends, or far over
  // the cap at any moment, and the connection is dropped (the client replays from its cursor).
  let stallTimer: ReturnType<typeof setTimeout> | null = null;
  res.on('drain', () => {
    if (!stallTimer) return;
    clearTimeout(stallTimer);
    stallTimer = null;
    // The pair of 'grace period started': an operator (and a test) sees the reader caught up in time.
    log?.info('sse consumer drained its backlog: grace period ended');
  });
  const write = (text: string): boolean => {
    if (closed) return false;
    const ok = res.write(text);
    if (replaying || res.writableLength <= ctx.maxBufferedBytes) return ok;
    if (res.writableLength > 4 * ctx.maxBufferedBytes) {
      drop();
      return false;
    }
    if (!stallTimer) {
      log?.info({ buffered: res.writableLength }, 'sse consumer over the buffer cap: grace period started');
      stallTimer = setTimeout(() => {
        stallTimer = null;
        if (res.writableLength > ctx.maxBufferedBytes) drop();
      }, ctx.slowConsumerGraceMs);
      timers.push(stallTimer);
    }
    return ok;
  };

  let lastSent = cursor ?? ctx.engine.eventCount(id);
  const deliver = (event: EventRecord): void => {
    if (event.eventNumber <= lastSent) return;
    lastSent = event.eventNumber;
    const bundle = eventBundle(ctx, entry, grant, event);
    if (bundle) write(frame('event-notification', bundle, event.eventNumber));
  };

  const onMessage = (message: BusMessage): void => {
    if (closed) return;
    if (replaying) {
      pending.push(message);
      return;
    }
    if (message.kind === 'event') deliver(message.event);
    else if (message.status !== 'active') {
      write(frame('heartbeat', statusBundle(ctx, entry, 'heartbeat')));
      close(`subscription ${message.status}`);
    }
  };
  // Seam rule step 1: subscribe before reading the snapshot.
  const unsubscribe = ctx.engine.subscribe(id, onMessage);
  const unregister = registry.add(
    grant.grantId,
    () => {
      write(frame('revoked', { reason: 'The access grant was revoked' }));
      close('revoked');
    },
    () => close('server shutting down'),
  );
  res.on('close', () => close('client closed'));

  // Seam rule step 2: snapshot S, handshake, replay (cursor, S].
  const snapshot = ctx.engine.eventCount(id);
  write('retry: 2000\n\n');
  write(frame('handshake', statusBundle(ctx, entry, 'handshake')));

  const replay = async (): Promise<void> => {
    if (cursor !== null && cursor < snapshot) {
      const first = ctx.engine.firstAvailable(id) ?? snapshot + 1;
      if (first > cursor + 1) {
        write(
          frame('gap', {
            requestedAfter: String(cursor),
            firstAvailable: String(first),
            reason: 'retention',
          }),
        );
      }
      let from = cursor;
      while (!closed && from < snapshot) {
        const batch = ctx.engine.readEvents(id, from, snapshot, REPLAY_BATCH);
        if (batch.length === 0) break;
        for (const event of batch) {
          lastSent = event.eventNumber - 1;
          deliver(event);
        }
        from = batch[batch.length - 1]?.eventNumber ?? snapshot;
        if (res.writableNeedDrain) await new Promise((resolve) => res.once('drain', resolve));
      }
      lastSent = Math.max(lastSent, snapshot);
    } else {
      lastSent = snapshot;
    }
    // Seam rule step 3: buffered live events above S (deliver() skips <= S), then live.
    replaying = false;
    for (const message of pending.splice(0)) onMessage(message);
  };

  startTimers(ctx, entry, grant, timers, write, close);
  replay().catch((error: unknown) => {
    log?.error({ err: error }, 'sse replay failed');
    close('replay failed');
  });
  log?.info({ cursor, snapshot }, 'sse stream opened');
}

function startTimers(
  ctx: ServerContext,
  entry: SubscriptionEntry,
  grant: AccessGrant,
  timers: NodeJS.Timeout[],
  write: (text: string) => boolean,
  close: (reason: string) => void,
): void {
  const heartbeatMs = (entry.config.heartbeatPeriod ?? ctx.heartbeatSeconds) * 1000;
  timers.push(
    setInterval(() => write(frame('heartbeat', statusBundle(ctx, entry, 'heartbeat'))), heartbeatMs),
  );
  timers.push(setInterval(() => write(': keepalive\n\n'), ctx.keepaliveMs));
  const now = Date.now();
  // Warn `tokenExpiringSeconds` ahead, but never sooner than half-way through what is left: a token
  // shorter than the lead time (backend services: ≤ 300 s) would otherwise be warned about at once on
  // every connect, and a client that refreshes and reconnects on the warning would loop.
  const lead = Math.min(ctx.tokenExpiringSeconds * 1000, (grant.expiresAt - now) / 2);
  const warnAt = grant.expiresAt - lead;
  later(
    timers,
    () =>
      write(
        frame('token-expiring', {
          expiresAt: new Date(grant.expiresAt).toISOString(),
          secondsRemaining: Math.max(0, Math.round((grant.expiresAt - Date.now()) / 1000)),
        }),
      ),
    warnAt - now,
  );
  later(
    timers,
    () => {
      write(frame('token-expired', { expiredAt: new Date(grant.expiresAt).toISOString() }));
      close('token expired');
    },
    grant.expiresAt - now,
  );
  // A subscription reaching its `end` closes the stream too.
  if (entry.config.end !== null) later(timers, () => close('subscription end'), entry.config.end - now);
}
